using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.ApiServer.Join;

namespace Navarch.Commands.Token;

/// <summary>
/// <c>navarch token create|list|delete</c> (k3s's, after kubeadm's): bootstrap tokens as kube-system Secrets
/// <c>bootstrap-token-&lt;id&gt;</c> of type <c>bootstrap.kubernetes.io/token</c>, managed through the API server with
/// an admin kubeconfig. <c>create</c> prints the token in the K10 form (with the CA hash) that agents join with.
/// <c>navarch token rotate</c> (k3s's) replaces the server token itself, through the server's <c>PUT /v1-navarch/token</c>
/// authenticated with the current one.
/// </summary>
internal static class TokenCommand
{
    private const string Namespace = BootstrapTokenSecret.Namespace;
    private const string BootstrapTokenType = BootstrapTokenSecret.Type;
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var token = new Command("token", "Manage bootstrap tokens agents join with, and rotate the server token.");
        token.Subcommands.Add(CreateCommand(output, error));
        token.Subcommands.Add(ListCommand(output, error));
        token.Subcommands.Add(DeleteCommand(output, error));
        token.Subcommands.Add(RotateCommand(output, error));
        return token;
    }

    private static Option<string?> KubeconfigOption() => new("--kubeconfig")
    {
        Description = $"Admin kubeconfig (default: $KUBECONFIG, {KubectlCommand.DefaultKubeconfig}, then {KubectlCommand.DataDirKubeconfig})",
    };

    private static Kubernetes Client(ParseResult parse, Option<string?> kubeconfig)
    {
        string? path = parse.GetValue(kubeconfig);
        if (string.IsNullOrEmpty(path))
        {
            path = new[] { Environment.GetEnvironmentVariable("KUBECONFIG"), KubectlCommand.DefaultKubeconfig, KubectlCommand.DataDirKubeconfig }
                .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p))
                ?? throw new FileNotFoundException($"no kubeconfig: pass --kubeconfig (looked at $KUBECONFIG, {KubectlCommand.DefaultKubeconfig}, {KubectlCommand.DataDirKubeconfig})");
        }

        return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
    }

    private static async Task<int> RunAsync(TextWriter error, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or FormatException or k8s.Exceptions.KubeConfigException or Join.JoinException)
        {
            string message = e is HttpOperationException { Response.Content: { Length: > 0 } content } ? StatusMessage(content) : e.Message;
            await error.WriteLineAsync($"navarch token: {message}");
            return 1;
        }
    }

    private static string StatusMessage(string content)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(content)?["message"]?.GetValue<string>() ?? content;
        }
        catch (System.Text.Json.JsonException)
        {
            return content;
        }
    }

    private static Command CreateCommand(TextWriter output, TextWriter error)
    {
        var kubeconfig = KubeconfigOption();
        var ttl = new Option<string>("--ttl") { Description = "How long the token is valid (Go duration, e.g. 24h, 30m; 0 = never expires)", DefaultValueFactory = _ => "24h" };
        var description = new Option<string?>("--description") { Description = "A human-friendly description of the token's use" };
        var command = new Command("create", "Create a bootstrap token and print it in the K10<CA hash>::<id>.<secret> form agents join with.") { kubeconfig, ttl, description };
        command.SetAction((parse, cancellationToken) => RunAsync(error, async () =>
        {
            TimeSpan lifetime = GoDuration.Parse(parse.GetValue(ttl)!);
            using Kubernetes client = Client(parse, kubeconfig);
            string id = RandomString(6), secret = RandomString(16);
            var data = new Dictionary<string, byte[]>
            {
                ["token-id"] = Encoding.UTF8.GetBytes(id),
                ["token-secret"] = Encoding.UTF8.GetBytes(secret),
                ["usage-bootstrap-authentication"] = "true"u8.ToArray(),
                ["usage-bootstrap-signing"] = "true"u8.ToArray(),
                ["auth-extra-groups"] = "system:bootstrappers:navarch:default-node-token"u8.ToArray(),
            };
            if (lifetime > TimeSpan.Zero)
            {
                data["expiration"] = Encoding.UTF8.GetBytes(DateTimeOffset.UtcNow.Add(lifetime).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            }

            if (parse.GetValue(description) is { Length: > 0 } text)
            {
                data["description"] = Encoding.UTF8.GetBytes(text);
            }

            await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = BootstrapTokenSecret.NameOf(id), NamespaceProperty = Namespace },
                Type = BootstrapTokenType,
                Data = data,
            }, Namespace, cancellationToken: cancellationToken);

            using HttpResponseMessage ca = await client.HttpClient.GetAsync(new Uri(client.BaseUri, JoinProtocol.CaCertsPath), cancellationToken);
            ca.EnsureSuccessStatusCode();
            string hash = JoinToken.HashOf(await ca.Content.ReadAsByteArrayAsync(cancellationToken));
            output.WriteLine(new JoinToken(hash, $"{id}.{secret}").ToString());
            return 0;
        }));
        return command;
    }

    private static Command ListCommand(TextWriter output, TextWriter error)
    {
        var kubeconfig = KubeconfigOption();
        var command = new Command("list", "List bootstrap tokens (TOKEN, TTL, EXPIRES, USAGES, DESCRIPTION, EXTRA GROUPS).") { kubeconfig };
        command.SetAction((parse, cancellationToken) => RunAsync(error, async () =>
        {
            using Kubernetes client = Client(parse, kubeconfig);
            V1SecretList secrets = await client.CoreV1.ListNamespacedSecretAsync(Namespace, fieldSelector: "type=" + BootstrapTokenType, cancellationToken: cancellationToken);
            DateTimeOffset now = DateTimeOffset.UtcNow;
            var rows = new List<string[]> { new[] { "TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS" } };
            foreach (V1Secret secret in secrets.Items.Where(s => s.Type == BootstrapTokenType).OrderBy(s => s.Metadata.Name, StringComparer.Ordinal))
            {
                string Value(string key) => secret.Data?.TryGetValue(key, out byte[]? v) == true ? Encoding.UTF8.GetString(v) : "";
                string expiration = Value("expiration");
                string ttlText = expiration.Length == 0 ? "<forever>"
                    : BootstrapTokenSecret.IsExpired(expiration, now) ? "<invalid>"
                    : GoDuration.Format(DateTimeOffset.Parse(expiration, CultureInfo.InvariantCulture) - now);
                string usages = string.Join(",", (secret.Data?.Keys ?? []).Where(k => k.StartsWith("usage-bootstrap-", StringComparison.Ordinal) && Value(k) == "true")
                    .Select(k => k["usage-bootstrap-".Length..]).Order(StringComparer.Ordinal));
                rows.Add([$"{Value("token-id")}.{Value("token-secret")}", ttlText, expiration.Length == 0 ? "<never>" : expiration, usages, Dash(Value("description")), Dash(Value("auth-extra-groups"))]);
            }

            int[] widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length) + 3).ToArray();
            foreach (string[] row in rows)
            {
                output.WriteLine(string.Concat(row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
            }

            return 0;
        }));
        return command;
    }

    private static Command DeleteCommand(TextWriter output, TextWriter error)
    {
        var kubeconfig = KubeconfigOption();
        var ids = new Argument<string[]>("token") { Description = "Token IDs (or whole id.secret tokens) to delete", Arity = ArgumentArity.OneOrMore };
        var command = new Command("delete", "Delete bootstrap tokens.") { ids, kubeconfig };
        command.SetAction((parse, cancellationToken) => RunAsync(error, async () =>
        {
            using Kubernetes client = Client(parse, kubeconfig);
            foreach (string given in parse.GetValue(ids)!)
            {
                string id = JoinToken.Parse(given).Bootstrap?.Id ?? given.Split('.')[0];
                await client.CoreV1.DeleteNamespacedSecretAsync(BootstrapTokenSecret.NameOf(id), Namespace, cancellationToken: cancellationToken);
                output.WriteLine($"bootstrap token \"{id}\" deleted");
            }

            return 0;
        }));
        return command;
    }

    private static Command RotateCommand(TextWriter output, TextWriter error)
    {
        var dataDir = new Option<string>("--data-dir", "-d") { Description = "The server's data dir (its server/token is the default --token)", DefaultValueFactory = _ => "/var/lib/navarch" };
        var server = new Option<string>("--server", "-s") { Description = "The server to rotate the token on", DefaultValueFactory = _ => "https://127.0.0.1:6443" };
        var current = new Option<string?>("--token", "-t") { Description = "The current server token (default: <data-dir>/server/token)" };
        var next = new Option<string?>("--new-token") { Description = "The new server token (default: a random one, written to the server's <data-dir>/server/token)" };
        var command = new Command("rotate", "Rotate the server token: the cluster's bootstrap data is re-encrypted with the new token; restart every server with it.") { dataDir, server, current, next };
        command.SetAction((parse, cancellationToken) => RunAsync(error, async () =>
        {
            output.WriteLine("WARNING: Recommended to keep a record of the old token. If restoring from a snapshot, you must use the token associated with that snapshot.");
            string root = Path.GetFullPath(parse.GetValue(dataDir)!);
            string token = parse.GetValue(current) is { Length: > 0 } given ? given.Trim() : (await File.ReadAllTextAsync(Path.Combine(root, "server", "token"), cancellationToken)).Trim();
            string url = parse.GetValue(server)!.TrimEnd('/');
            using X509Certificate2 ca = JoinToken.Parse(token).CaHash is { } hash
                ? await Join.AgentJoin.FetchVerifiedCaAsync(url, hash, cancellationToken)
                : X509CertificateLoader.LoadCertificateFromFile(Path.Combine(root, "server", "tls", "server-ca.crt"));
            using HttpClient http = Join.AgentJoin.TrustingOnly(ca);
            using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(url + JoinProtocol.TokenPath))
            {
                Content = System.Net.Http.Json.JsonContent.Create(new TokenRotateRequest { NewToken = parse.GetValue(next) }),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using HttpResponseMessage response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new IOException(StatusMessage(await response.Content.ReadAsStringAsync(cancellationToken)));
            }

            output.WriteLine("Token rotated, restart navarch nodes with new token");
            return 0;
        }));
        return command;
    }

    private static string Dash(string value) => value.Length == 0 ? "<none>" : value;

    private static string RandomString(int length) =>
        string.Create(length, 0, (span, _) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }
        });
}
