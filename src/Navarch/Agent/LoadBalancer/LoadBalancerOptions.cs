namespace Navarch.Agent.LoadBalancer;

/// <summary>How the agent's load balancer runs (k3s's <c>--server</c>, <c>--lb-server-port</c> and its config file).</summary>
internal sealed record LoadBalancerOptions
{
    /// <summary>The port k3s's agent load balancer listens on.</summary>
    public const int DefaultPort = 6444;

    /// <summary>The servers given on the command line, as https URLs; the first names the persisted list.</summary>
    public required IReadOnlyList<Uri> Servers { get; init; }

    /// <summary>
    /// The loopback port to listen on; 0 picks a free one. Null takes <see cref="DefaultPort"/>, or a free port when
    /// another agent on this machine holds it.
    /// </summary>
    public int? Port { get; init; }

    /// <summary>Where the server list is kept across restarts (k3s's <c>agent/etc/k3s-agent-load-balancer.json</c>); null keeps none.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>How long a dial may take before the next server is tried.</summary>
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How often every server is health-checked (k3s: every second).</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many health checks in a row a server must fail to be marked failed (a failed dial marks it at once): one
    /// slow answer on a loaded machine should not close every connection.
    /// </summary>
    public int HealthCheckFailures { get; init; } = 3;

    /// <summary>The clock of the health checks.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
