using System.CommandLine;
using Microsoft.Extensions.Logging;
using Navarch.Agent.LoadBalancer;
using Navarch.Join;

namespace Navarch.Commands;

/// <summary>
/// The agent's join flags (k3s's <c>--server</c>, <c>--token</c>, <c>--token-file</c>, <c>--lb-server-port</c>) and
/// the join itself, used by <c>navarch agent</c> and <c>navarch kubelet</c> when no <c>--kubeconfig</c> is given. A
/// joining agent reaches the servers through its load balancer (<see cref="AgentLoadBalancer"/>).
/// </summary>
internal sealed partial class JoinOptions
{
    private readonly Option<string[]> _server = new("--server", "-s") { Description = "The server to join, e.g. https://10.0.0.1:6443; several: repeat the flag or separate them with commas (the agent also learns the rest from the kubernetes endpoints)" };
    private readonly Option<string?> _token = new("--token", "-t") { Description = "The join token: the server's (<data-dir>/server/token) or one from `navarch token create` (env NAVARCH_TOKEN)" };
    private readonly Option<string?> _tokenFile = new("--token-file") { Description = "A file holding the join token" };
    private readonly Option<bool> _insecure = new("--insecure-skip-ca-verify") { Description = "Accept a token without a CA hash and trust the CA the server presents (first use)" };
    private readonly Option<int?> _lbServerPort = new("--lb-server-port") { Description = "Loopback port of the agent's load balancer to the servers (default 6444, or a free one when another agent holds it; 0: a free one)" };

    /// <summary>Adds the flags and the rule "either --kubeconfig, or --server with a token".</summary>
    public void AddTo(Command command, Option<string?> kubeconfig)
    {
        command.Options.Add(_server);
        command.Options.Add(_token);
        command.Options.Add(_tokenFile);
        command.Options.Add(_insecure);
        command.Options.Add(_lbServerPort);
        command.Validators.Add(result =>
        {
            bool hasKubeconfig = result.GetValue(kubeconfig) is { Length: > 0 };
            bool hasServer = Split(result.GetValue(_server)).Count > 0;
            bool hasToken = result.GetValue(_token) is { Length: > 0 } || result.GetValue(_tokenFile) is { Length: > 0 };
            if (!hasKubeconfig && !(hasServer && hasToken))
            {
                result.AddError("give --kubeconfig, or --server with --token (or --token-file) to join a cluster");
            }

            foreach (string server in Split(result.GetValue(_server)))
            {
                if (!Uri.TryCreate(server, UriKind.Absolute, out Uri? url) || url.Scheme != Uri.UriSchemeHttps)
                {
                    result.AddError($"--server {server} is not an https URL");
                }
            }
        });
    }

    /// <summary>Whether the agent joins (no <c>--kubeconfig</c> given).</summary>
    public bool Joins(ParseResult parse) => Split(parse.GetValue(_server)).Count > 0;

    /// <summary>
    /// Starts the agent's load balancer over every <c>--server</c>, listening on <c>--lb-server-port</c> and keeping
    /// its list in <c>&lt;data-dir&gt;/agent/etc/navarch-agent-load-balancer.json</c>.
    /// </summary>
    public AgentLoadBalancer StartLoadBalancer(ParseResult parse, string dataDir, ILoggerFactory logging) =>
        AgentLoadBalancer.Start(
            new LoadBalancerOptions
            {
                Servers = [.. Split(parse.GetValue(_server)).Select(s => new Uri(s))],
                Port = parse.GetValue(_lbServerPort),
                ConfigFile = Path.Combine(Path.GetFullPath(dataDir), "agent", "etc", "navarch-agent-load-balancer.json"),
            },
            logging.CreateLogger<AgentLoadBalancer>());

    /// <summary>
    /// Joins the cluster through <paramref name="balancer"/> and returns the agent's kubeconfig; on a join error prints
    /// it and returns null. While no server answers it tries again every few seconds (servers and agents start in any order).
    /// </summary>
    public async Task<string?> JoinAsync(ParseResult parse, string nodeName, string dataDir, AgentLoadBalancer balancer, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        ILogger<AgentJoin> logger = logging.CreateLogger<AgentJoin>();
        while (true)
        {
            try
            {
                string token = parse.GetValue(_token) is { Length: > 0 } t ? t : (await File.ReadAllTextAsync(parse.GetValue(_tokenFile)!, cancellationToken)).Trim();
                var join = new AgentJoin(Split(parse.GetValue(_server))[0], token, nodeName, dataDir, parse.GetValue(_insecure), logger, via: balancer.Url);
                return await join.JoinAsync(cancellationToken);
            }
            catch (JoinException e) when (e.InnerException is HttpRequestException)
            {
                // No server answers yet (or the one dialled went away): wait for one, as k3s's agent does.
                LogWaiting(logger, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
            }
            catch (Exception e) when (e is JoinException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"navarch: join failed: {e.Message}");
                return null;
            }
        }
    }

    /// <summary>The <c>--server</c> values, each split at commas.</summary>
    public static List<string> Split(string[]? values) =>
        [.. (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(v => v.TrimEnd('/'))];

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting for a server to join: {Reason}")]
    private static partial void LogWaiting(ILogger logger, string reason);
}
