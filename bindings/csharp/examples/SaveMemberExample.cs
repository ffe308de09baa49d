// The README's example, compiled and run by the tests against the sandbox gateway:
//   mono SaveMemberExample.exe config.json
// config.json holds the client configuration (see the library's README), e.g. the "config"
// object that `jdy-member sandbox` prints.

using System;
using System.IO;
using System.Text;
using Jdy.Member;

internal static class SaveMemberExample
{
    private static int Main(string[] args)
    {
        // Credentials come from a file (or the environment), never from source code.
        string config = File.ReadAllText(args[0], Encoding.UTF8);

        // One client per process, shared by every thread; Dispose it when the till closes.
        using (JdyClient client = new JdyClient(config))
        {
            try
            {
                // JSON in, JSON out; Chinese text is passed as UTF-8 whatever the code page.
                string saved = client.SaveMember(
                    "{\"mobile\":\"13333333333\",\"name\":\"会员A\",\"sex_group\":\"2\",\"label\":[\"VIP\"]}");
                Console.WriteLine("saved: " + saved);

                string member = client.GetMember("{\"mobile\":\"13333333333\"}");
                Console.WriteLine(member ?? "no such member"); // null: not found
                return 0;
            }
            catch (JdyException e)
            {
                // Kind says what to do; ErrCode/Description are Kingdee's own.
                Console.WriteLine("failed (" + e.Kind + (e.Retryable ? ", try again later" : "") + "): " + e.Message);
                foreach (JdyFieldError field in e.Fields)
                {
                    Console.WriteLine("  " + field.Field + ": " + field.Message);
                }
                if (e.OutcomeUnknown)
                {
                    Console.WriteLine("  the save may have been stored: look the member up before saving again");
                }
                return 1;
            }
        }
    }
}
