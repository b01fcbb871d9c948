using System.CommandLine;
using Microsoft.Extensions.Logging;
using Navarch.Join;

namespace Navarch.Commands;

/// <summary>
/// The agent's join flags (k3s's <c>--server</c>, <c>--token</c>, <c>--token-file</c>) and the join itself, used by
/// <c>navarch agent</c> and <c>navarch kubelet</c> when no <c>--kubeconfig</c> is given.
/// </summary>
internal sealed class JoinOptions
{
    private readonly Option<string?> _server = new("--server", "-s") { Description = "The server to join, e.g. https://10.0.0.1:6443 (env NAVARCH_SERVER)" };
    private readonly Option<string?> _token = new("--token", "-t") { Description = "The join token: the server's (<data-dir>/server/token) or one from `navarch token create` (env NAVARCH_TOKEN)" };
    private readonly Option<string?> _tokenFile = new("--token-file") { Description = "A file holding the join token" };
    private readonly Option<bool> _insecure = new("--insecure-skip-ca-verify") { Description = "Accept a token without a CA hash and trust the CA the server presents (first use)" };

    /// <summary>Adds the flags and the rule "either --kubeconfig, or --server with a token".</summary>
    public void AddTo(Command command, Option<string?> kubeconfig)
    {
        command.Options.Add(_server);
        command.Options.Add(_token);
        command.Options.Add(_tokenFile);
        command.Options.Add(_insecure);
        command.Validators.Add(result =>
        {
            bool hasKubeconfig = result.GetValue(kubeconfig) is { Length: > 0 };
            bool hasServer = result.GetValue(_server) is { Length: > 0 };
            bool hasToken = result.GetValue(_token) is { Length: > 0 } || result.GetValue(_tokenFile) is { Length: > 0 };
            if (!hasKubeconfig && !(hasServer && hasToken))
            {
                result.AddError("give --kubeconfig, or --server with --token (or --token-file) to join a cluster");
            }
        });
    }

    /// <summary>Joins the cluster and returns the agent's kubeconfig; on a join error prints it and returns null.</summary>
    public async Task<string?> JoinAsync(ParseResult parse, string nodeName, string dataDir, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        try
        {
            string token = parse.GetValue(_token) is { Length: > 0 } t ? t : (await File.ReadAllTextAsync(parse.GetValue(_tokenFile)!, cancellationToken)).Trim();
            var join = new AgentJoin(parse.GetValue(_server)!, token, nodeName, dataDir, parse.GetValue(_insecure), logging.CreateLogger<AgentJoin>());
            return await join.JoinAsync(cancellationToken);
        }
        catch (Exception e) when (e is JoinException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"navarch: join failed: {e.Message}");
            return null;
        }
    }
}
