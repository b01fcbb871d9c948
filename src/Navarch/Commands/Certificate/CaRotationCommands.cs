using System.CommandLine;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Navarch.ApiServer.Join;
using Navarch.ApiServer.Pki;

namespace Navarch.Commands.Certificate;

/// <summary>
/// <c>navarch certificate rotate-ca --path DIR [--force]</c> (k3s's) and <c>navarch certificate generate-ca --path DIR</c>
/// (k3s's <c>generate-custom-ca-certs.sh</c>): the new CA is checked; with the server stopped it is installed
/// (<see cref="CaRotation"/>) and the join token rewritten with the hash of the new trust bundle and printed; with the
/// server running it is staged and installed at the server's restart (k3s: "restart servers to take effect"). Either
/// way the next start issues the server's certificates under the new CA while the old CA stays trusted.
/// </summary>
internal static partial class CaRotationCommands
{
    public static Command RotateCa(Func<Option<string>> dataDirOption)
    {
        var dataDir = dataDirOption();
        var path = new Option<string>("--path") { Description = "Folder with the new CA: server-ca.crt, server-ca.key, server-ca-cross-signed.crt (the new CA signed by the current one) and optionally service.key", Required = true };
        var force = new Option<bool>("--force") { Description = "Rotate to a CA that is not cross-signed by the current one (clients and agents that trust only the current CA stop trusting the server)" };
        var command = new Command("rotate-ca", "Install a new cluster CA (checked first): at once when the server is stopped, at its restart when it runs. The current CA stays trusted; the server's certificates are issued under the new CA at its next start.") { dataDir, path, force };
        command.SetAction(parse =>
        {
            string root = Path.GetFullPath(parse.GetValue(dataDir)!);
            string serverDir = Path.Combine(root, "server"), tls = Path.Combine(serverDir, "tls");
            string caCrt = Path.Combine(tls, "server-ca.crt"), caKey = Path.Combine(tls, "server-ca.key");
            if (!File.Exists(caCrt) || !File.Exists(caKey))
            {
                return Fail($"no cluster CA in {tls}: has the server run with this --data-dir?");
            }

            DateTimeOffset now = DateTimeOffset.UtcNow;
            string newCa = Path.GetFullPath(parse.GetValue(path)!);
            try
            {
                using X509Certificate2 current = X509Certificate2.CreateFromPemFile(caCrt, caKey);
                CaRotation.Validate(newCa, current, now, parse.GetValue(force));
                if (RunningServer(serverDir) is { } url)
                {
                    // As k3s: the running server keeps its certificates; the new CA takes effect when it restarts.
                    string staged = CaRotation.Stage(tls, newCa);
                    using X509Certificate2 next = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(staged, "server-ca.crt"));
                    string secret = File.Exists(Path.Combine(serverDir, "token")) ? JoinToken.Parse(File.ReadAllText(Path.Combine(serverDir, "token"))).Credentials : "server:<secret>";
                    Console.Out.WriteLine($"staged the new cluster CA {next.Subject} in {staged}: the server on {url} keeps serving until it restarts");
                    Console.Out.WriteLine("restart the server to take effect: it installs the new CA, issues its certificates under it, and keeps trusting the old CA");
                    Console.Out.WriteLine($"the join token will then be {new JoinToken(JoinToken.HashOf(JoinToken.CaBundle([next, current])), secret)}");
                    return 0;
                }

                string backup = CaRotation.Install(tls, newCa, now);
                CaRotation.DiscardStaged(tls);
                using X509Certificate2 installed = X509CertificateLoader.LoadCertificateFromFile(caCrt);
                ServerToken token = ServerToken.LoadOrCreate(serverDir, JoinToken.HashOf(JoinToken.CaBundle([installed, current])), configured: null);
                Console.Out.WriteLine($"installed the new cluster CA {installed.Subject} in {tls} (the previous state is in {backup})");
                Console.Out.WriteLine("start the server: its certificates are issued under the new CA; the old CA stays trusted, so agents and kubeconfigs keep working");
                Console.Out.WriteLine($"the join token is now {token.Token} (in {token.FilePath}): rejoin agents with it to trust the new CA");
                return 0;
            }
            catch (InvalidDataException e)
            {
                return Fail(e.Message);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                return Fail($"cannot rotate the CA: {e.Message}");
            }
        });
        return command;
    }

    public static Command GenerateCa(Func<Option<string>> dataDirOption)
    {
        var dataDir = dataDirOption();
        var path = new Option<string>("--path") { Description = "Folder to write the new CA into (created 0700; must not hold a CA yet)", Required = true };
        var command = new Command("generate-ca", "Write a new cluster CA for rotate-ca: server-ca.crt, server-ca.key, and the new CA cross-signed by the data dir's current CA.") { dataDir, path };
        command.SetAction(parse =>
        {
            string root = Path.GetFullPath(parse.GetValue(dataDir)!);
            string tls = Path.Combine(root, "server", "tls"), target = Path.GetFullPath(parse.GetValue(path)!);
            if (File.Exists(Path.Combine(target, "server-ca.crt")) || File.Exists(Path.Combine(target, "server-ca.key")))
            {
                return Fail($"{target} already holds a CA: give an empty or new folder");
            }

            try
            {
                using X509Certificate2? current = File.Exists(Path.Combine(tls, "server-ca.crt")) && File.Exists(Path.Combine(tls, "server-ca.key"))
                    ? X509Certificate2.CreateFromPemFile(Path.Combine(tls, "server-ca.crt"), Path.Combine(tls, "server-ca.key"))
                    : null;
                CaRotation.Generate(target, current, DateTimeOffset.UtcNow);
                Console.Out.WriteLine(current is null
                    ? $"wrote a new CA to {target} (no CA in {tls} to cross-sign it with: rotate-ca needs --force)"
                    : $"wrote a new CA to {target}, cross-signed by {current.Subject}");
                return 0;
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                return Fail($"cannot generate a CA: {e.Message}");
            }
        });
        return command;
    }

    /// <summary>The URL of the admin kubeconfig when a server answers there (a TCP connection within a second); null otherwise.</summary>
    private static string? RunningServer(string serverDir)
    {
        string kubeconfig = Path.Combine(serverDir, "cred", "admin.kubeconfig");
        if (!File.Exists(kubeconfig) || ServerLine().Match(File.ReadAllText(kubeconfig)) is not { Success: true } match || !Uri.TryCreate(match.Groups[1].Value, UriKind.Absolute, out Uri? url))
        {
            return null;
        }

        using var client = new TcpClient();
        try
        {
            return client.ConnectAsync(url.Host.Trim('[', ']'), url.Port).Wait(TimeSpan.FromSeconds(1)) && client.Connected ? url.ToString() : null;
        }
        catch (AggregateException)
        {
            return null;
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"navarch certificate: {message}");
        return 1;
    }

    [GeneratedRegex(@"^\s*server: (\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ServerLine();
}
