using Navarch.ApiServer.Audit;

namespace Navarch.ApiServer.Tests.Audit;

/// <summary>Reading --audit-policy-file: Kubernetes' decoding and validation errors, and a policy as typed.</summary>
[Trait("Category", "Unit")]
public sealed class PolicyReaderTests
{
    private const string Header = "apiVersion: audit.k8s.io/v1\nkind: Policy\n";

    public static TheoryData<string, string> Invalid => new()
    {
        { Header + "rules:\n- level: Everything\n", "rules[0].level: Unsupported value: \"Everything\": supported values: \"None\", \"Metadata\", \"Request\", \"RequestResponse\"" },
        { Header + "rules:\n- verbs: [get]\n", "rules[0].level: Required value" },
        { Header + "rules:\n- level: None\n  nonResourceURLs: [healthz]\n", "rules[0].nonResourceURLs[0]: Invalid value: \"healthz\": non-resource URL rules must begin with a '/' character" },
        { Header + "rules:\n- level: None\n  nonResourceURLs: [\"/a*/b\"]\n", "rules[0].nonResourceURLs[0]: Invalid value: \"/a*/b\": non-resource URL wildcards '*' must be the final character of the rule" },
        { Header + "rules:\n- level: None\n  resources:\n  - group: rbac.authorization.k8s.io/v1\n", "rules[0].resources.group: Invalid value: \"rbac.authorization.k8s.io/v1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" },
        { Header + "rules:\n- level: None\n  resources:\n  - resourceNames: [x]\n", "rules[0].resources.resourceNames: Invalid value: []string{\"x\"}: using resourceNames requires at least one resource" },
        { Header + "rules:\n- level: None\n  omitStages: [Done]\n", "rules[0].omitStages[0]: Invalid value: \"Done\": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic" },
        { Header + "rules:\n- level: None\n  namespaces: [a]\n  nonResourceURLs: [/metrics]\n", "rules[0].nonResourceURLs: Invalid value: []string{\"/metrics\"}: rules cannot apply to both regular resources and non-resource URLs" },
        { Header + "rules:\n- level: Loud\n- level: None\n  omitStages: [Done]\n", "[rules[0].level: Unsupported value: \"Loud\": supported values: \"None\", \"Metadata\", \"Request\", \"RequestResponse\", rules[1].omitStages[0]: Invalid value: \"Done\": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic]" },
        { Header + "rules: []\n", "loaded illegal policy with 0 rules" },
        { "apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: None\n", "unknown group version field audit.k8s.io/v1beta1, Kind=Policy in policy" },
        { "kind: Policy\nrules:\n- level: None\n", "failed decoding: Object 'apiVersion' is missing" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void An_invalid_policy_is_refused_with_Kubernetes_message(string yaml, string message) =>
        Assert.Equal(message, Assert.Throws<InvalidDataException>(() => PolicyReader.Parse(yaml)).Message);

    [Fact]
    public void A_policy_file_is_read_with_its_rules_in_order()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, Header + """
                omitStages: [RequestReceived]
                omitManagedFields: true
                rules:
                - level: None
                  users: ["system:kube-proxy"]
                  verbs: [watch]
                  resources:
                  - group: ""
                    resources: [endpoints, services]
                - level: RequestResponse
                  userGroups: [devs]
                  namespaces: [team]
                  omitStages: [ResponseStarted]
                  omitManagedFields: false
                - level: Metadata
                  nonResourceURLs: ["/healthz*"]
                """);
            Policy policy = PolicyReader.Load(path);
            Assert.Equal([AuditLevel.None, AuditLevel.RequestResponse, AuditLevel.Metadata], policy.Rules.Select(r => r.Level));
            Assert.Equal(["endpoints", "services"], policy.Rules[0].Resources.Single().Resources);
            Assert.Equal(["devs"], policy.Rules[1].UserGroups);
            Assert.Equal(["team"], policy.Rules[1].Namespaces);
            Assert.False(policy.Rules[1].OmitManagedFields);
            Assert.Equal(["/healthz*"], policy.Rules[2].NonResourceUrls);
            Assert.Equal([AuditStage.RequestReceived], policy.OmitStages);
            Assert.True(policy.OmitManagedFields);

            File.WriteAllText(path, Header + "rules:\n- level: Loud\n");
            Assert.EndsWith($": from file {path}", Assert.Throws<InvalidDataException>(() => PolicyReader.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
