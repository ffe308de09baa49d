* jdy_member.prg: jdy_member.dll for Visual FoxPro (6 to 9). Put jdy_member.dll from the
* win-x86 SDK beside the program (or on the PATH) and jdy-config.json, the client
* configuration (see the README's Configuration section), in the current folder;
* DO jdy_member saves the API spec's example member and shows the result. In your own
* program, run the DECLARE lines once at start-up and copy the two functions at the end.
*
* These are the DLL's stdcall functions with text in the system code page (the _a ones of
* include/jdy_member_stdcall.h; GBK on a Chinese till), which is what a VFP string holds.
* Every one answers with a JSON envelope that begins with {"ok":true or {"ok":false, so
* LEFT(lcResult, 10) == '{"ok":true' decides success without a parser. A character the
* code page lacks comes back as a JSON \uXXXX escape, never as "?", and may be sent the
* same way. Pass '{}', not an empty string, where the defaults are meant (VFP cannot pass
* NULL for a STRING).
*
* The buffer rule: a function writes its result into a string passed by reference (@) that
* you pre-size with REPLICATE(CHR(0), n), and returns its length; a negative return -n
* means the buffer was too small and n is the size needed. The call was still done, once:
* fetch its result with jdy_last_result_a (JdyResult below), never by calling it again.

DECLARE INTEGER jdy_version_a IN jdy_member.dll STRING @ outBuf, INTEGER outSize
DECLARE INTEGER jdy_client_new_a IN jdy_member.dll STRING configJson, STRING @ errorOut, INTEGER errorSize
DECLARE INTEGER jdy_client_free_a IN jdy_member.dll INTEGER client
DECLARE INTEGER jdy_member_save_a IN jdy_member.dll INTEGER client, STRING memberJson, STRING @ outBuf, INTEGER outSize
DECLARE INTEGER jdy_member_save_batch_a IN jdy_member.dll INTEGER client, STRING membersJson, STRING optionsJson, STRING @ outBuf, INTEGER outSize
DECLARE INTEGER jdy_member_get_a IN jdy_member.dll INTEGER client, STRING queryJson, STRING @ outBuf, INTEGER outSize
DECLARE INTEGER jdy_member_list_a IN jdy_member.dll INTEGER client, STRING queryJson, STRING @ outBuf, INTEGER outSize
DECLARE INTEGER jdy_member_validate_a IN jdy_member.dll STRING memberJson, STRING @ outBuf, INTEGER outSize
DECLARE INTEGER jdy_outbox_add_a IN jdy_member.dll INTEGER client, STRING memberJson, STRING @ outBuf, INTEGER outSize
DECLARE INTEGER jdy_outbox_flush_a IN jdy_member.dll INTEGER client, STRING optionsJson, STRING @ outBuf, INTEGER outSize
DECLARE INTEGER jdy_outbox_status_a IN jdy_member.dll INTEGER client, STRING @ outBuf, INTEGER outSize
DECLARE INTEGER jdy_outbox_list_a IN jdy_member.dll INTEGER client, STRING queryJson, STRING @ outBuf, INTEGER outSize
DECLARE INTEGER jdy_outbox_retry_a IN jdy_member.dll INTEGER client, STRING queryJson, STRING @ outBuf, INTEGER outSize
DECLARE INTEGER jdy_outbox_discard_a IN jdy_member.dll INTEGER client, STRING queryJson, STRING @ outBuf, INTEGER outSize
DECLARE INTEGER jdy_call_a IN jdy_member.dll INTEGER client, STRING requestJson, STRING @ outBuf, INTEGER outSize
DECLARE INTEGER jdy_doctor_a IN jdy_member.dll INTEGER client, STRING @ outBuf, INTEGER outSize
DECLARE INTEGER jdy_last_result_a IN jdy_member.dll STRING @ outBuf, INTEGER outSize

LOCAL lcConfig, lcBuf, lcMember, lcResult, lnClient, lnN

lcConfig = FILETOSTR("jdy-config.json")
lcBuf = REPLICATE(CHR(0), 4096)
lnClient = jdy_client_new_a(lcConfig, @lcBuf, LEN(lcBuf))
IF lnClient = 0
    MESSAGEBOX(JdyLastResult(), 16, "jdy_client_new_a")
    RETURN
ENDIF

* The name (hui yuan)A written as JSON escapes: ASCII, whatever the code page.
lcMember = '{"mobile":"13333333333","name":"\u4f1a\u5458A","sex_group":"1"}'
lcBuf = REPLICATE(CHR(0), 4096)
lnN = jdy_member_save_a(lnClient, lcMember, @lcBuf, LEN(lcBuf))
lcResult = JdyResult(lnN, lcBuf)
IF LEFT(lcResult, 10) == '{"ok":true'
    MESSAGEBOX(lcResult, 64, "saved")
ELSE
    MESSAGEBOX(lcResult, 48, "not saved")
ENDIF

jdy_client_free_a(lnClient)
RETURN

* The text of a result the buffer rule wrote: its first tnN bytes or, when the call
* returned a negative tnN (the buffer was too small), the result it kept.
FUNCTION JdyResult(tnN, tcBuf)
    IF tnN >= 0
        RETURN LEFT(tcBuf, tnN)
    ENDIF
    RETURN JdyLastResult()
ENDFUNC

* The result this thread's last _a call kept, whatever its size.
FUNCTION JdyLastResult()
    LOCAL lcBuf, lnN
    lcBuf = CHR(0)
    lnN = jdy_last_result_a(@lcBuf, 0)
    lcBuf = REPLICATE(CHR(0), -lnN)
    lnN = jdy_last_result_a(@lcBuf, LEN(lcBuf))
    RETURN LEFT(lcBuf, MAX(lnN, 0))
ENDFUNC
