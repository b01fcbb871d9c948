using System.Net;
using Microsoft.Extensions.Time.Testing;
using Navarch.ApiServer.Audit;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Audit;

/// <summary>The audit log of a real server rotated by size (--audit-log-maxsize 1), keeping --audit-log-maxbackup files and none older than --audit-log-maxage, on a fake clock.</summary>
[Trait("Category", "Integration")]
public sealed class AuditLogRotationTests
{
    [Fact]
    public async Task The_log_rotates_by_size_and_keeps_backups_by_count_and_age()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-audit-rotation-");
        try
        {
            string policy = Path.Combine(dir.FullName, "policy.yaml");
            await File.WriteAllTextAsync(policy, "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Request\n  verbs: [create]\n  resources: [{group: \"\", resources: [configmaps]}]\n");
            string log = Path.Combine(dir.FullName, "audit.log");
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 23, 1, 2, 123, TimeSpan.Zero));
            await using ApiServerHost host = await ApiServerHost.StartAsync(audit: new AuditOptions { PolicyFile = policy, LogPath = log, MaxSize = 1, MaxBackup = 2, MaxAge = 3 }, time: time);
            using HttpClient http = host.NewHttp(withClientCertificate: true);

            // Each event is about 90 KB (its request object), so a 1 MB file holds 11 of them.
            string data = new('x', 90 * 1000);
            int sent = 0;
            async Task CreateAsync(int count)
            {
                for (int i = 0; i < count; i++, sent++)
                {
                    using var body = new StringContent($"{{\"metadata\":{{\"name\":\"c{sent}\"}},\"data\":{{\"d\":\"{data}\"}}}}", System.Text.Encoding.UTF8, "application/json");
                    Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/api/v1/namespaces/default/configmaps", body)).StatusCode);
                    // Written (and so rotated) at this second of the clock; the next rotation gets a name of its own.
                    string name = $"c{sent}";
                    await Eventually(() => AuditedServer.ReadEvents(log) is { Count: > 0 } current && current[^1].GetProperty("objectRef").GetProperty("name").GetString() == name, $"the event of {name} written");
                    time.Advance(TimeSpan.FromSeconds(1));
                }
            }

            string[] Backups() => Directory.GetFiles(dir.FullName, "audit-*.log").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
            int Events() => Directory.GetFiles(dir.FullName, "audit*.log").Sum(f => AuditedServer.ReadEvents(f).Count);

            await CreateAsync(12);
            Assert.Single(Backups());
            Assert.Equal("audit-2026-12-06T23-01-13.123.log", Backups()[0]);
            Assert.Equal(11, AuditedServer.ReadEvents(Path.Combine(dir.FullName, Backups()[0])).Count);
            Assert.True(new FileInfo(Path.Combine(dir.FullName, Backups()[0])).Length <= 1024 * 1024);

            await CreateAsync(33);
            Assert.Equal(45 - 22, Events()); // four rotations, two files of 11 removed
            Assert.Equal(["audit-2026-12-06T23-01-35.123.log", "audit-2026-12-06T23-01-46.123.log"], Backups());

            // Four days on, the next rotation removes both: they are older than three days.
            time.Advance(TimeSpan.FromDays(4));
            await CreateAsync(11);
            Assert.Equal(["audit-2026-12-10T23-01-57.123.log"], Backups());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
