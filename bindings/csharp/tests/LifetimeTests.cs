// One client shared by threads; Dispose, double Dispose, use after Dispose, Dispose while calls
// run, and clients that are never disposed (the finalizer frees them on its own thread).

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using NUnit.Framework;

namespace Jdy.Member.Tests
{
    [TestFixture]
    public class LifetimeTests
    {
        [SetUp]
        public void ResetSandbox()
        {
            Sandbox.Reset();
        }

        [Test]
        public void EightThreadsShareOneClientAndOneToken()
        {
            const int Threads = 8;
            const int PerThread = 6;
            List<Exception> failures = new List<Exception>();
            using (JdyClient client = new JdyClient(Sandbox.Config))
            using (Barrier start = new Barrier(Threads))
            {
                List<Thread> threads = new List<Thread>();
                for (int t = 0; t < Threads; t++)
                {
                    int thread = t;
                    Thread worker = new Thread(delegate()
                    {
                        try
                        {
                            start.SignalAndWait();
                            for (int i = 0; i < PerThread; i++)
                            {
                                string mobile = "1360000" + thread.ToString("00") + i.ToString("00");
                                string saved = client.SaveMember(Json.Obj("mobile", mobile, "name", "线程" + thread + "会员" + i));
                                Assert.AreEqual(mobile, Json.Object(saved)["mobile"]);
                                Assert.AreEqual("线程" + thread + "会员" + i, Json.Object(client.GetMember(Json.Obj("mobile", mobile)))["name"]);
                            }
                        }
                        catch (Exception e)
                        {
                            lock (failures)
                            {
                                failures.Add(e);
                            }
                        }
                    });
                    threads.Add(worker);
                    worker.Start();
                }
                foreach (Thread worker in threads)
                {
                    Assert.IsTrue(worker.Join(120000), "a worker thread hung");
                }
            }
            Assert.IsEmpty(failures, failures.Count > 0 ? failures[0].ToString() : "");
            Dictionary<string, object> stats = Sandbox.Stats();
            Assert.AreEqual(1L, Json.Int(stats["token_calls"]), "the threads share one token");
            Assert.AreEqual((long)(Threads * PerThread), Json.Int(stats["save_calls"]));
            Assert.AreEqual(Threads * PerThread, ((Dictionary<string, object>)stats["saves_by_mobile"]).Count);
            Assert.AreEqual(Threads * PerThread, Sandbox.Members().Length);
        }

        [Test]
        public void DisposeTwiceIsHarmless()
        {
            long before = JdyClientHandle.ReleasedCount;
            JdyClient client = new JdyClient(Sandbox.Config);
            client.Dispose();
            client.Dispose();
            ((IDisposable)client).Dispose();
            Assert.AreEqual(before + 1, JdyClientHandle.ReleasedCount, "freed exactly once");
        }

        [Test]
        public void UseAfterDisposeThrowsObjectDisposedException()
        {
            JdyClient client = new JdyClient(Sandbox.Config);
            client.Dispose();
            Assert.Throws<ObjectDisposedException>(delegate { client.SaveMember("{\"mobile\":\"13800138000\",\"name\":\"A\"}"); });
            Assert.Throws<ObjectDisposedException>(delegate { client.GetMember("{\"mobile\":\"13800138000\"}"); });
            Assert.Throws<ObjectDisposedException>(delegate { client.ListMembers("{}"); });
            Assert.Throws<ObjectDisposedException>(delegate { client.SaveMembers("[]"); });
            bool recovered, queued;
            Assert.Throws<ObjectDisposedException>(delegate { client.SaveMember("{\"mobile\":\"13800138000\",\"name\":\"A\"}", out recovered, out queued); });
            Assert.Throws<ObjectDisposedException>(delegate { client.OutboxAdd("{\"mobile\":\"13800138000\",\"name\":\"A\"}"); });
            Assert.Throws<ObjectDisposedException>(delegate { client.OutboxFlush(); });
            Assert.Throws<ObjectDisposedException>(delegate { client.OutboxFlush("{\"max\":1}"); });
            Assert.Throws<ObjectDisposedException>(delegate { client.OutboxStatus(); });
            Assert.Throws<ObjectDisposedException>(delegate { client.OutboxList(); });
            Assert.Throws<ObjectDisposedException>(delegate { client.OutboxRetry("{\"state\":\"refused\"}"); });
            Assert.Throws<ObjectDisposedException>(delegate { client.OutboxDiscard("{\"state\":\"refused\"}"); });
            Assert.Throws<ObjectDisposedException>(delegate { client.Call("{\"method\":\"GET\",\"path\":\"/jdy/v2/ls/store\"}"); });
            Assert.Throws<ObjectDisposedException>(delegate { client.Doctor(); });
            // The static functions need no client.
            Assert.IsNotEmpty(JdyClient.Version);
            Assert.IsNotEmpty(JdyClient.ValidateMember("{\"mobile\":\"13800138000\",\"name\":\"A\"}"));
            string references;
            Assert.IsNotEmpty(JdyClient.ValidateMember("{\"mobile\":\"13800138000\",\"name\":\"A\",\"shop\":\"南京西路店\"}", out references));
            StringAssert.Contains("南京西路店", references);
            Assert.AreEqual(0L, Sandbox.Stat("requests"));
        }

        [Test]
        public void DisposeWhileOtherThreadsCallWaitsForThem()
        {
            long before = JdyClientHandle.ReleasedCount;
            JdyClient client = new JdyClient(Sandbox.Config);
            client.SaveMember("{\"mobile\":\"13700000000\",\"name\":\"并发\"}");
            int calls = 0;
            int disposedSeen = 0;
            List<Exception> failures = new List<Exception>();
            List<Thread> threads = new List<Thread>();
            for (int t = 0; t < 4; t++)
            {
                Thread worker = new Thread(delegate()
                {
                    try
                    {
                        for (int i = 0; i < 10000; i++)
                        {
                            client.GetMember("{\"mobile\":\"13700000000\"}");
                            Interlocked.Increment(ref calls);
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                        Interlocked.Increment(ref disposedSeen);
                    }
                    catch (Exception e)
                    {
                        lock (failures)
                        {
                            failures.Add(e);
                        }
                    }
                });
                threads.Add(worker);
                worker.Start();
            }
            while (Thread.VolatileRead(ref calls) < 20)
            {
                Thread.Sleep(5);
            }
            client.Dispose();
            foreach (Thread worker in threads)
            {
                Assert.IsTrue(worker.Join(60000), "a worker thread hung");
            }
            Assert.IsEmpty(failures, failures.Count > 0 ? failures[0].ToString() : "");
            Assert.AreEqual(4, disposedSeen, "every thread ends with ObjectDisposedException (calls made: " + calls + ")");
            Assert.AreEqual(before + 1, JdyClientHandle.ReleasedCount, "freed once, after the last call returned");
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void CreateAndAbandon(int count)
        {
            for (int i = 0; i < count; i++)
            {
                JdyClient client = new JdyClient(Sandbox.Config);
                if (i % 4 == 0)
                {
                    client.GetMember("{\"mobile\":\"13800138000\"}");
                }
            }
        }

        [Test]
        public void ClientsNeverDisposedAreFreedByTheFinalizer()
        {
            const int Count = 24;
            long before = JdyClientHandle.ReleasedCount;
            // On a thread that then ends, so that no stack slot keeps a client reachable.
            Thread creator = new Thread(delegate() { CreateAndAbandon(Count); });
            creator.Start();
            creator.Join();
            for (int round = 0; round < 20 && JdyClientHandle.ReleasedCount - before < Count; round++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                Thread.Sleep(10);
            }
            Assert.AreEqual(before + Count, JdyClientHandle.ReleasedCount, "every abandoned client was freed by its finalizer");
            // The process is fine afterwards.
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                client.SaveMember("{\"mobile\":\"13800138000\",\"name\":\"终结后\"}");
            }
        }

        [Test]
        public void FailedConstructionLeavesNothingToFree()
        {
            long before = JdyClientHandle.ReleasedCount;
            for (int i = 0; i < 10; i++)
            {
                Assert.Throws<JdyException>(delegate { new JdyClient("{}"); });
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Assert.AreEqual(before, JdyClientHandle.ReleasedCount, "no jdy_client_free(NULL) calls counted");
        }
    }
}
