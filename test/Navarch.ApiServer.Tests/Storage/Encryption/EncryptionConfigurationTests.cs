using System.Security.Cryptography;
using Navarch.ApiServer.Storage.Encryption;

namespace Navarch.ApiServer.Tests.Storage.Encryption;

/// <summary>EncryptionConfiguration files: parsing, Kubernetes' validation messages, and which rule applies to which resource.</summary>
[Trait("Category", "Unit")]
public sealed class EncryptionConfigurationTests
{
    private static readonly string Key16 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
    private static readonly string Key32 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void A_yaml_file_with_every_provider_parses()
    {
        EncryptionConfiguration config = EncryptionConfiguration.Parse($$$"""
            apiVersion: apiserver.config.k8s.io/v1
            kind: EncryptionConfiguration
            resources:
              - resources: [secrets, configmaps]
                providers:
                  - aesgcm:
                      keys: [{name: gcm, secret: {{{Key16}}}}]
                  - aescbc:
                      keys:
                        - name: cbc
                          secret: {{{Key32}}}
                  - secretbox:
                      keys: [{name: box, secret: {{{Key32}}}}]
                  - identity: {}
              - resources: ["*.apps"]
                providers: [{identity: {}}]
            """);

        Assert.Equal(["secrets", "configmaps"], config.Resources[0].Resources);
        Assert.Equal(["aesgcm", "aescbc", "secretbox", "identity"], config.Resources[0].Providers.Select(p => p.Type));
        Assert.Equal("cbc", config.Resources[0].Providers[1].Keys[0].Name);
        // The JSON k3s writes parses back to the same rules.
        EncryptionConfiguration again = EncryptionConfiguration.Parse(config.ToJson());
        Assert.Equal(config.Resources.SelectMany(r => r.Providers).SelectMany(p => p.Keys), again.Resources.SelectMany(r => r.Providers).SelectMany(p => p.Keys));
    }

    public static TheoryData<string, string> Invalid => new()
    {
        { "- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: k, secret: c2hvcnQ=}]}}]", "resources[0].providers[0].aescbc.keys[0].secret: Invalid value: \"REDACTED\": secret is not of the expected length, got 5, expected one of [16 24 32]" },
        { $"- resources: [secrets]\n  providers: [{{secretbox: {{keys: [{{name: k, secret: {Key16}}}]}}}}]", "resources[0].providers[0].secretbox.keys[0].secret: Invalid value: \"REDACTED\": secret is not of the expected length, got 16, expected one of [32]" },
        { "- resources: [secrets]\n  providers: [{aesgcm: {keys: [{name: k, secret: '!!notbase64'}]}}]", "resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: \"REDACTED\": secrets must be base64 encoded" },
        { $"- resources: [secrets]\n  providers: [{{aescbc: {{keys: [{{secret: {Key32}}}]}}}}]", "resources[0].providers[0].aescbc.keys[0].name: Required value: name is a mandatory field for a key" },
        { "- resources: [secrets]\n  providers: [{aescbc: {keys: []}}]", "resources[0].providers[0].aescbc.keys: Required value: at least one keys is required" },
        { "- resources: [secrets]\n  providers: [{kms: {name: vault, endpoint: 'unix:///kms.sock'}}]", "resources[0].providers[0].kms: Forbidden: KMS providers are not supported by Navarch" },
        { $"- resources: [secrets]\n  providers: [{{identity: {{}}, aescbc: {{keys: [{{name: k, secret: {Key32}}}]}}}}]", "more than one provider specified in a single element, should split into different list elements" },
        { "- resources: [secrets]\n  providers: []", "resources[0].providers: Required value: at least one resources[0].providers is required" },
        { "- resources: ['*']\n  providers: [{identity: {}}]", "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources" },
        { "- resources: [Secrets]\n  providers: [{identity: {}}]", "resource name should not contain capital letters" },
        { "- resources: [secrets, '*.']\n  providers: [{identity: {}}]", "using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked" },
        { "- resources: [secrets, secrets]\n  providers: [{identity: {}}]", "the same resource cannot be specified multiple times" },
        { "- resources: [events.events.k8s.io]\n  providers: [{identity: {}}]", "Use 'events' instead in the config file" },
        { "- resources: ['deployments.*']\n  providers: [{identity: {}}]", "encrypting the same resource across groups is not supported" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void An_invalid_configuration_is_refused_with_kubernetes_message(string resources, string message)
    {
        string text = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n" + resources;

        InvalidDataException e = Assert.Throws<InvalidDataException>(() => EncryptionConfiguration.Parse(text));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_an_encryption_configuration_is_refused()
    {
        Assert.Contains("expected kind EncryptionConfiguration", Assert.Throws<InvalidDataException>(() => EncryptionConfiguration.Parse("kind: AdmissionConfiguration\napiVersion: apiserver.config.k8s.io/v1")).Message, StringComparison.Ordinal);
        string missing = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"));
        Assert.StartsWith("error opening encryption provider configuration file", Assert.Throws<InvalidDataException>(() => EncryptionConfiguration.Load(missing)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resources_fall_back_to_their_groups_wildcard_then_to_everything_then_to_identity()
    {
        ResourceTransformers transformers = ResourceTransformers.Create(EncryptionConfiguration.Parse($$$"""
            {"kind":"EncryptionConfiguration","apiVersion":"apiserver.config.k8s.io/v1","resources":[
              {"resources":["secrets"],"providers":[{"aescbc":{"keys":[{"name":"s","secret":"{{{Key32}}}"}]}}]},
              {"resources":["*.apps"],"providers":[{"aesgcm":{"keys":[{"name":"a","secret":"{{{Key32}}}"}]}}]},
              {"resources":["*.*"],"providers":[{"secretbox":{"keys":[{"name":"x","secret":"{{{Key32}}}"}]}}]}]}
            """));

        Assert.Equal("aescbc", transformers.ProvidersFor(new GroupResource("", "secrets"))[0].Type);
        Assert.Equal("aesgcm", transformers.ProvidersFor(new GroupResource("apps", "deployments"))[0].Type);
        Assert.Equal("secretbox", transformers.ProvidersFor(new GroupResource("", "configmaps"))[0].Type);
        Assert.StartsWith("k8s:enc:aesgcm:v1:a:", System.Text.Encoding.ASCII.GetString(transformers.For(new GroupResource("apps", "deployments")).ToStorage("{}"u8, "/registry/deployments/d/x"u8)), StringComparison.Ordinal);
        Assert.Same(IdentityTransformer.Instance, ResourceTransformers.None.For(new GroupResource("", "secrets")));
    }

    [Fact]
    public void A_rule_masked_by_an_earlier_wildcard_is_refused()
    {
        var config = new EncryptionConfiguration([
            new ResourceConfiguration(["*.apps"], [new ProviderConfiguration("identity", [])]),
            new ResourceConfiguration(["deployments.apps"], [new ProviderConfiguration("identity", [])])]);

        Assert.Equal("resource \"deployments.apps\" is masked by earlier rule \"*.apps\"", Assert.Throws<InvalidDataException>(() => ResourceTransformers.Create(config)).Message);
    }
}
