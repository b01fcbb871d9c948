using System.Diagnostics;
using System.Globalization;
using k8s.Models;
using Navarch.Proxy.Host;
using Navarch.Proxy.NetworkPolicy.Model;
using Navarch.Proxy.NetworkPolicy.Nftables;
using Navarch.Proxy.NetworkPolicy.Rules;
using Navarch.Proxy.Tests.Dataplane;

// The network policy controller's sync cost: for P policies over N pods (half of them on this node) in 10
// namespaces, the time to compute what the node enforces, to render it, and to apply it with one `nft -f` into a
// network namespace of its own — the first write, and the write after one pod's labels changed.
// Usage: Navarch.Bench.NetworkPolicy [--rounds 3]
int rounds = Arg("--rounds", 3);
(int Policies, int Pods)[] shapes = [(10, 100), (100, 100), (100, 1000), (1000, 1000), (1000, 5000)];

await using NetnsLab lab = await NetnsLab.CreateAsync();
var nft = new NftablesClient(new CommandRunner(lab.Node));
string table = $"npb-{lab.Id}";
Console.WriteLine("| policies | pods | isolated here | chains | sets | compute ms | render ms | bytes | first apply ms | apply after a change ms |");
Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
foreach ((int policies, int pods) in shapes)
{
    PolicyInputs inputs = World(policies, pods);
    double compute = double.MaxValue, render = double.MaxValue, first = double.MaxValue, again = double.MaxValue;
    PolicyDataplane dataplane = null!;
    string text = "";
    for (int round = 0; round < rounds; round++)
    {
        var clock = Stopwatch.StartNew();
        dataplane = NetworkPolicyCompiler.Compile(inputs, "node-a");
        compute = Math.Min(compute, clock.Elapsed.TotalMilliseconds);
        clock.Restart();
        text = NftablesRenderer.Render(table, dataplane);
        render = Math.Min(render, clock.Elapsed.TotalMilliseconds);

        await NetworkPolicyControllerCleanup();
        clock.Restart();
        await nft.ApplyAsync(text, CancellationToken.None);
        first = Math.Min(first, clock.Elapsed.TotalMilliseconds);

        // One pod changes its labels: the table is computed and replaced whole.
        inputs.Pods[0].Labels["tier"] = $"t{round + 100}";
        clock.Restart();
        string changed = NftablesRenderer.Render(table, NetworkPolicyCompiler.Compile(inputs, "node-a"));
        await nft.ApplyAsync(changed, CancellationToken.None);
        again = Math.Min(again, clock.Elapsed.TotalMilliseconds);
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {policies} | {pods} | {dataplane.IngressPods.Count} in / {dataplane.EgressPods.Count} out | {dataplane.Chains.Count} | {dataplane.Sets.Count} | {compute:F1} | {render:F1} | {text.Length:N0} | {first:F0} | {again:F0} |"));
}

await NetworkPolicyControllerCleanup();
return;

Task NetworkPolicyControllerCleanup() => nft.DeleteTableAsync(table, CancellationToken.None);

// Pods p0..pN-1 spread over 10 namespaces and 2 nodes, labelled app=a(i%20), tier=t(i%7); policy j selects
// app=a(j%20) in namespace ns(j%10), allows ingress from tier t(j%7) of its namespace and from namespaces with
// team=x(j%3) on port 8000+j and the named port http, and egress to its namespace's pods and to an ipBlock with an except.
static PolicyInputs World(int policies, int pods)
{
    var endpoints = new List<PodEndpoint>();
    for (int i = 0; i < pods; i++)
    {
        var labels = new Dictionary<string, string> { ["app"] = $"a{i % 20}", ["tier"] = $"t{i % 7}" };
        uint ip = IpRange.ParseAddress($"10.42.{i / 250}.{(i % 250) + 2}")!.Value;
        endpoints.Add(new PodEndpoint($"ns{i % 10}", $"p{i}", labels, ip, i % 2 == 0 ? "node-a" : "node-b", [new ContainerPortInfo("http", "TCP", 8080)]));
    }

    var list = new List<V1NetworkPolicy>();
    for (int j = 0; j < policies; j++)
    {
        list.Add(new V1NetworkPolicy
        {
            Metadata = new V1ObjectMeta { Name = $"policy-{j}", NamespaceProperty = $"ns{j % 10}" },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = $"a{j % 20}" } },
                PolicyTypes = ["Ingress", "Egress"],
                Ingress =
                [
                    new V1NetworkPolicyIngressRule
                    {
                        FromProperty =
                        [
                            new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["tier"] = $"t{j % 7}" } } },
                            new V1NetworkPolicyPeer { NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["team"] = $"x{j % 3}" } } },
                        ],
                        Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = 8000 + j }, new V1NetworkPolicyPort { Protocol = "TCP", Port = "http" }],
                    },
                ],
                Egress =
                [
                    new V1NetworkPolicyEgressRule
                    {
                        To =
                        [
                            new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector() },
                            new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = $"172.{16 + (j % 16)}.0.0/16", Except = [$"172.{16 + (j % 16)}.{j % 250}.0/24"] } },
                        ],
                    },
                ],
            },
        });
    }

    var namespaces = Enumerable.Range(0, 10).ToDictionary(n => $"ns{n}", n => (IDictionary<string, string>?)new Dictionary<string, string> { ["team"] = $"x{n % 3}" });
    return new PolicyInputs(list, endpoints, namespaces);
}

int Arg(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}
