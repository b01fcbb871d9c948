using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Navarch.Api.Certificates;
using Navarch.ApiServer.Pki;

namespace Navarch.Commands.Certificate;

/// <summary>
/// <c>navarch certificate check|rotate</c> (k3s's): <c>check</c> prints every certificate under the data dir (the
/// server's and the agent's) with its expiry and whether it is OK, due for renewal (WARNING, within 90 days) or
/// EXPIRED, exiting 1 when one has expired; <c>rotate</c> issues the server's leaf certificates anew from the CA. A
/// running server takes the rotated certificates up within a minute, without a restart. <c>rotate-ca</c> and
/// <c>generate-ca</c> are <see cref="CaRotationCommands"/>.
/// </summary>
internal static class CertificateCommand
{
    public static Command Create()
    {
        var certificate = new Command("certificate", "Check and rotate the cluster's certificates.");
        certificate.Subcommands.Add(CheckCommand());
        certificate.Subcommands.Add(RotateCommand());
        certificate.Subcommands.Add(CaRotationCommands.RotateCa(DataDirOption));
        certificate.Subcommands.Add(CaRotationCommands.GenerateCa(DataDirOption));
        return certificate;
    }

    internal static Option<string> DataDirOption() => new("--data-dir", "-d") { Description = "Folder holding state", DefaultValueFactory = _ => "/var/lib/navarch" };

    private static Command CheckCommand()
    {
        var dataDir = DataDirOption();
        var command = new Command("check", "Print every certificate under the data dir with its expiry and status (OK, WARNING: renewal due within 90 days, EXPIRED); exit 1 when one has expired.") { dataDir };
        command.SetAction(parse =>
        {
            string root = Path.GetFullPath(parse.GetValue(dataDir)!);
            DateTimeOffset now = DateTimeOffset.UtcNow;
            var rows = new List<string[]> { new[] { "FILENAME", "SUBJECT", "USAGES", "EXPIRES", "RESIDUAL TIME", "STATUS" } };
            bool expired = false;
            foreach (string file in CertificateFiles(root))
            {
                X509Certificate2 cert;
                try
                {
                    cert = X509CertificateLoader.LoadCertificateFromFile(file);
                }
                catch (CryptographicException e)
                {
                    rows.Add([Path.GetRelativePath(root, file), "", "", "", "", $"UNREADABLE: {e.Message}"]);
                    continue;
                }

                using (cert)
                {
                    string status = CertificateLifetimes.Status(cert, now);
                    expired |= status == "EXPIRED";
                    DateTimeOffset notAfter = new(cert.NotAfter.ToUniversalTime());
                    rows.Add([Path.GetRelativePath(root, file), cert.Subject, Usages(cert), notAfter.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), Residual(notAfter - now), status]);
                }
            }

            if (rows.Count == 1)
            {
                Console.Error.WriteLine($"navarch certificate: no certificates under {root}/server/tls or {root}/agent");
                return 1;
            }

            Console.Out.Write(Table(rows));
            return expired ? 1 : 0;
        });
        return command;
    }

    private static Command RotateCommand()
    {
        var dataDir = DataDirOption();
        var serviceCidr = new Option<string>("--service-cidr") { Description = "The server's Service CIDR (its first address is a name of the serving certificate)", DefaultValueFactory = _ => "10.43.0.0/16" };
        var command = new Command("rotate", "Issue the server's leaf certificates (serving, admin, API server to kubelet) anew from the cluster CA; a running server takes them up within a minute.") { dataDir, serviceCidr };
        command.SetAction(parse =>
        {
            string tls = Path.Combine(Path.GetFullPath(parse.GetValue(dataDir)!), "server", "tls");
            if (!File.Exists(Path.Combine(tls, "server-ca.crt")))
            {
                Console.Error.WriteLine($"navarch certificate: no cluster CA in {tls}: has the server run with this --data-dir?");
                return 1;
            }

            IReadOnlyList<string> rotated = ClusterPki.LoadOrCreate(tls, FirstAddress(parse.GetValue(serviceCidr)!)).RotateAll();
            foreach (string name in rotated)
            {
                Console.Out.WriteLine($"rotated {Path.Combine(tls, name + ".crt")}");
            }

            return 0;
        });
        return command;
    }

    /// <summary>The certificates the server and the agent keep, in a stable order.</summary>
    private static IEnumerable<string> CertificateFiles(string root) =>
        new[] { Path.Combine(root, "server", "tls"), Path.Combine(root, "agent") }
            .Where(Directory.Exists)
            .SelectMany(dir => Directory.EnumerateFiles(dir, "*.crt").Order(StringComparer.Ordinal));

    private static string Usages(X509Certificate2 cert)
    {
        if (CertificateLifetimes.IsCa(cert))
        {
            return "CertSign";
        }

        var usages = new List<string>();
        if (KeyUsages.Carries(cert, KeyUsages.ServerAuthOid))
        {
            usages.Add("ServerAuth");
        }

        if (KeyUsages.Carries(cert, KeyUsages.ClientAuthOid))
        {
            usages.Add("ClientAuth");
        }

        return usages.Count == 0 ? "<none>" : string.Join(',', usages);
    }

    /// <summary>Days and hours left, as k3s prints them (negative once expired).</summary>
    private static string Residual(TimeSpan left) =>
        left < TimeSpan.Zero ? "-" + Residual(-left) : left.Days > 0 ? $"{left.Days}d{left.Hours}h" : $"{left.Hours}h{left.Minutes}m";

    private static string Table(List<string[]> rows)
    {
        int[] widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new System.Text.StringBuilder();
        foreach (string[] row in rows)
        {
            text.AppendLine(string.Join("   ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))));
        }

        return text.ToString();
    }

    private static IPAddress FirstAddress(string cidr)
    {
        byte[] bytes = IPNetwork.Parse(cidr).BaseAddress.GetAddressBytes();
        bytes[^1]++;
        return new IPAddress(bytes);
    }
}
