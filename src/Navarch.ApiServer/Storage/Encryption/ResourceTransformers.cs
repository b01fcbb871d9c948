using System.Text;

namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>
/// The transformer of each resource an EncryptionConfiguration names (kube-apiserver's <c>StaticTransformers</c>): a
/// resource's providers are those of the rules naming it, in order; a resource named by no rule falls back to its
/// group's <c>*.group</c> rule, then to <c>*.*</c>, then to identity. A rule naming a resource that an earlier
/// <c>*.group</c> or <c>*.*</c> rule already covers is refused, since it could never apply.
/// </summary>
internal sealed class ResourceTransformers
{
    private readonly Dictionary<GroupResource, IValueTransformer> _byResource;

    private ResourceTransformers(EncryptionConfiguration? configuration, Dictionary<GroupResource, IValueTransformer> byResource)
    {
        Configuration = configuration;
        _byResource = byResource;
    }

    /// <summary>No encryption: every resource is stored as it is.</summary>
    public static ResourceTransformers None { get; } = new(null, []);

    /// <summary>The configuration these transformers come from (null for <see cref="None"/>).</summary>
    public EncryptionConfiguration? Configuration { get; }

    /// <summary>Builds the transformers of a validated configuration; a masked rule is an <see cref="InvalidDataException"/>.</summary>
    public static ResourceTransformers Create(EncryptionConfiguration configuration)
    {
        var lists = new Dictionary<GroupResource, List<(byte[], IValueTransformer)>>();
        foreach (ResourceConfiguration rule in configuration.Resources)
        {
            List<(byte[], IValueTransformer)> providers = rule.Providers.Select(Provider).ToList();
            foreach (string resource in rule.Resources)
            {
                GroupResource gr = GroupResource.Parse(resource);
                foreach (GroupResource wider in new[] { new GroupResource(gr.Group, "*"), GroupResource.Everything })
                {
                    if (wider != gr && lists.ContainsKey(wider))
                    {
                        throw new InvalidDataException($"resource \"{gr}\" is masked by earlier rule \"{wider}\"");
                    }
                }

                if (!lists.TryGetValue(gr, out List<(byte[], IValueTransformer)>? list))
                {
                    lists[gr] = list = [];
                }

                list.AddRange(providers);
            }
        }

        return new ResourceTransformers(configuration, lists.ToDictionary(p => p.Key, p => (IValueTransformer)new PrefixTransformers(p.Value, "no matching prefix found")));
    }

    /// <summary>The transformer of <paramref name="resource"/>; <see cref="IdentityTransformer.Instance"/> when no rule covers it.</summary>
    public IValueTransformer For(GroupResource resource) =>
        _byResource.GetValueOrDefault(resource)
        ?? _byResource.GetValueOrDefault(resource with { Resource = "*" })
        ?? _byResource.GetValueOrDefault(GroupResource.Everything)
        ?? IdentityTransformer.Instance;

    /// <summary>The providers that apply to <paramref name="resource"/>, in order (empty: stored as it is).</summary>
    public IReadOnlyList<ProviderConfiguration> ProvidersFor(GroupResource resource)
    {
        if (Configuration is null)
        {
            return [];
        }

        // The same fallback as For: the rules naming the resource, else its group's wildcard rule, else *.*.
        foreach (GroupResource candidate in new[] { resource, resource with { Resource = "*" }, GroupResource.Everything })
        {
            var providers = Configuration.Resources.Where(r => r.Resources.Any(n => GroupResource.Parse(n) == candidate)).SelectMany(r => r.Providers).ToList();
            if (providers.Count > 0)
            {
                return providers;
            }
        }

        return [];
    }

    private static (byte[], IValueTransformer) Provider(ProviderConfiguration provider)
    {
        if (provider.Type == ProviderConfiguration.Identity)
        {
            return ([], IdentityTransformer.Instance);
        }

        var keys = provider.Keys.Select(k =>
        {
            byte[] secret = Convert.FromBase64String(k.Secret);
            IValueTransformer transformer = provider.Type switch
            {
                ProviderConfiguration.AesCbc => new AesCbcTransformer(secret),
                ProviderConfiguration.AesGcm => new AesGcmTransformer(secret),
                _ => new SecretboxTransformer(secret),
            };
            return (Encoding.UTF8.GetBytes(k.Name + ":"), transformer);
        }).ToList();
        string noKey = provider.Type == ProviderConfiguration.Secretbox ? "no matching key was found for the provided Secretbox transformer" : "no matching key was found for the provided AES transformer";
        return (Encoding.UTF8.GetBytes(provider.Prefix), new PrefixTransformers(keys, noKey));
    }
}
