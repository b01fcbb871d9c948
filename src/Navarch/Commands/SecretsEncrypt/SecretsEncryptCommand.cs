using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using Navarch.Client;

namespace Navarch.Commands.SecretsEncrypt;

/// <summary>
/// <c>navarch secrets-encrypt status|enable|disable|prepare|rotate|reencrypt|rotate-keys</c>, as k3s's: commands to a
/// running server (its <c>/v1-navarch/encrypt/*</c> endpoints, with the admin kubeconfig of its data dir), which
/// changes its encryption configuration and applies it at once. <c>rotate-keys</c> is the one-step rotation (a new key
/// first, the old one kept to decrypt, every Secret reencrypted, then the old key dropped); <c>prepare</c>,
/// <c>rotate</c> and <c>reencrypt</c> are its steps one by one. Reencryption runs on the server; <c>status</c> shows
/// <c>reencrypt_finished</c> when it is done.
/// </summary>
internal static class SecretsEncryptCommand
{
    private const string ConfigPath = "/v1-navarch/encrypt/config";
    private const string StatusPath = "/v1-navarch/encrypt/status";

    public static Command Create()
    {
        var command = new Command("secrets-encrypt", "Control encryption of Secrets at rest on a server started with --secrets-encryption.");
        command.Subcommands.Add(StatusCommand());
        command.Subcommands.Add(Change("enable", "Encrypt new Secrets with the aescbc key (existing ones: reencrypt --force).", "Secrets encryption enabled: new Secrets are encrypted; run 'navarch secrets-encrypt reencrypt --force' to encrypt existing ones."));
        command.Subcommands.Add(Change("disable", "Store new Secrets in plain text, keeping the keys to read encrypted ones (existing ones: reencrypt --force).", "Secrets encryption disabled: new Secrets are stored in plain text; run 'navarch secrets-encrypt reencrypt --force' to decrypt existing ones."));
        command.Subcommands.Add(Change("prepare", "Add a new key that decrypts but does not encrypt yet.", "prepare completed successfully"));
        command.Subcommands.Add(Change("rotate", "Make the key added by prepare the one that encrypts; the old one still decrypts.", "rotate completed successfully"));
        command.Subcommands.Add(Change("reencrypt", "Rewrite every Secret with the key that encrypts, then drop the other keys (unless --skip).", "reencryption started; 'navarch secrets-encrypt status' shows reencrypt_finished when it is done", withReencryptFlags: true));
        command.Subcommands.Add(Change("rotate-keys", "Rotate in one step: a new key encrypts, every Secret is reencrypted, the old key is dropped.", "keys rotated; reencryption started; 'navarch secrets-encrypt status' shows reencrypt_finished when it is done"));
        return command;
    }

    private static Command StatusCommand()
    {
        var (dataDir, kubeconfig) = ServerOptions();
        var output = new Option<string>("--output", "-o") { Description = "Output format: text or json", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json");
        var command = new Command("status", "Print whether Secrets are encrypted, the rotation stage, the configuration's hash and the keys.") { dataDir, kubeconfig, output };
        command.SetAction((parse, cancellationToken) => RunAsync("status", async () =>
        {
            JsonNode status = await SendAsync(Api(parse, dataDir, kubeconfig), HttpMethod.Get, StatusPath, null, cancellationToken);
            Console.Out.Write(parse.GetValue(output) == "json" ? status.ToJsonString() + "\n" : Render(status));
            return 0;
        }));
        return command;
    }

    private static Command Change(string stage, string description, string done, bool withReencryptFlags = false)
    {
        var (dataDir, kubeconfig) = ServerOptions();
        var force = new Option<bool>("--force", "-f") { Description = "Reencrypt outside the rotate stage (after enable or disable)" };
        var skip = new Option<bool>("--skip", "-s") { Description = "Keep the other keys after reencrypting" };
        var command = new Command(stage, description) { dataDir, kubeconfig };
        if (withReencryptFlags)
        {
            command.Options.Add(force);
            command.Options.Add(skip);
        }

        command.SetAction((parse, cancellationToken) => RunAsync(stage, async () =>
        {
            string body = new JsonObject { ["stage"] = stage, ["force"] = parse.GetValue(force), ["skip"] = parse.GetValue(skip) }.ToJsonString();
            await SendAsync(Api(parse, dataDir, kubeconfig), HttpMethod.Put, ConfigPath, body, cancellationToken);
            Console.Out.WriteLine(done);
            return 0;
        }));
        return command;
    }

    /// <summary>k3s's table: the status lines, then the keys with the active one starred.</summary>
    internal static string Render(JsonNode status)
    {
        var text = new StringBuilder();
        text.Append("Encryption Status: ").AppendLine(status["enable"]?.GetValue<bool>() == true ? "Enabled" : "Disabled");
        text.Append("Current Rotation Stage: ").AppendLine(status["stage"]?.GetValue<string>());
        text.Append("Server Encryption Hash: ").AppendLine(status["hashSummary"]?.GetValue<string>() is { Length: > 0 } hash ? hash : "<none>");
        if (status["error"]?.GetValue<string>() is { } error)
        {
            text.Append("Last Reencryption Error: ").AppendLine(error);
        }

        JsonArray keys = status["keys"] as JsonArray ?? [];
        if (keys.Count > 0)
        {
            var rows = new List<string[]> { new[] { "Active", "Key Type", "Name" }, new[] { "------", "--------", "----" } };
            rows.AddRange(keys.Select(k => new[] { k?["active"]?.GetValue<bool>() == true ? " *" : "", k?["type"]?.GetValue<string>() ?? "", k?["name"]?.GetValue<string>() ?? "" }));
            int[] widths = [.. Enumerable.Range(0, 3).Select(c => rows.Max(r => r[c].Length))];
            text.AppendLine();
            foreach (string[] row in rows)
            {
                text.AppendLine($"{row[0].PadRight(widths[0])}  {row[1].PadRight(widths[1])}  {row[2]}".TrimEnd());
            }
        }

        return text.ToString();
    }

    private static (Option<string> DataDir, Option<string?> Kubeconfig) ServerOptions() => (
        new Option<string>("--data-dir", "-d") { Description = "The server's data dir (its admin kubeconfig is used)", DefaultValueFactory = _ => "/var/lib/navarch" },
        new Option<string?>("--kubeconfig") { Description = "An administrator's kubeconfig instead of the data dir's" });

    private static RawApi Api(ParseResult parse, Option<string> dataDir, Option<string?> kubeconfig)
    {
        string path = parse.GetValue(kubeconfig) is { Length: > 0 } given ? given : Path.Combine(parse.GetValue(dataDir)!, "server", "cred", "admin.kubeconfig");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"no admin kubeconfig at {path}: is a server running on this data dir? (or pass --kubeconfig)");
        }

        return new RawApi(new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path)));
    }

    private static async Task<JsonNode> SendAsync(RawApi api, HttpMethod method, string path, string? body, CancellationToken cancellationToken)
    {
        using (api.Client)
        {
            using HttpResponseMessage response = await api.SendAsync(method, path, body, cancellationToken: cancellationToken);
            string content = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException(StatusMessage(content, (int)response.StatusCode));
            }

            return JsonNode.Parse(content) ?? throw new InvalidOperationException("the server answered nothing");
        }
    }

    private static string StatusMessage(string content, int code)
    {
        try
        {
            return JsonNode.Parse(content)?["message"]?.GetValue<string>() ?? $"the server answered {code}";
        }
        catch (JsonException)
        {
            return $"the server answered {code}: {content}";
        }
    }

    private static async Task<int> RunAsync(string name, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException or k8s.Exceptions.KubeConfigException)
        {
            await Console.Error.WriteLineAsync($"navarch secrets-encrypt {name}: {e.Message}");
            return 1;
        }
    }
}
