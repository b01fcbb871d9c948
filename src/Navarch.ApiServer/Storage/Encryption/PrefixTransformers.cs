namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>
/// Transformers chosen by the prefix of the stored value (k8s.io/apiserver's <c>NewPrefixTransformers</c>): the first
/// one writes, with its prefix put in front; a read strips the first prefix that matches and is stale unless that was
/// the first. A matching transformer that fails does not end the search, so two providers of one type (a new key
/// first, an old one later) both read; an empty prefix (identity) matches everything.
/// </summary>
internal sealed class PrefixTransformers(IReadOnlyList<(byte[] Prefix, IValueTransformer Transformer)> transformers, string noMatch) : IValueTransformer
{
    /// <summary>The prefixes in order, first the one that writes.</summary>
    public IReadOnlyList<(byte[] Prefix, IValueTransformer Transformer)> Transformers => transformers;

    /// <inheritdoc />
    public byte[] FromStorage(ReadOnlySpan<byte> data, ReadOnlySpan<byte> authenticatedData, out bool stale)
    {
        List<string>? errors = null;
        for (int i = 0; i < transformers.Count; i++)
        {
            (byte[] prefix, IValueTransformer transformer) = transformers[i];
            if (!data.StartsWith(prefix))
            {
                continue;
            }

            try
            {
                byte[] result = transformer.FromStorage(data[prefix.Length..], authenticatedData, out bool innerStale);
                stale = innerStale || i != 0;
                return result;
            }
            catch (ValueTransformException e)
            {
                // The identity provider's refusal of encrypted data only means "not mine": a later provider may read it.
                if (prefix.Length != 0)
                {
                    (errors ??= []).Add(e.Message);
                }
            }
        }

        throw new ValueTransformException(errors is null ? noMatch : string.Join("; ", errors.Distinct()));
    }

    /// <inheritdoc />
    public byte[] ToStorage(ReadOnlySpan<byte> data, ReadOnlySpan<byte> authenticatedData)
    {
        (byte[] prefix, IValueTransformer transformer) = transformers[0];
        byte[] body = transformer.ToStorage(data, authenticatedData);
        if (prefix.Length == 0)
        {
            return body;
        }

        byte[] result = new byte[prefix.Length + body.Length];
        prefix.CopyTo(result, 0);
        body.CopyTo(result, prefix.Length);
        return result;
    }
}
