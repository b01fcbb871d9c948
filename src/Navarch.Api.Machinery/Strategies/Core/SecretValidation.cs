using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Core;

/// <summary>Kubernetes' <c>ValidateSecret</c> and <c>ValidateSecretUpdate</c>.</summary>
internal static class SecretValidation
{

    /// <summary>Data keys, the 1 MiB limit, and the keys each well-known type requires.</summary>
    public static IEnumerable<FieldError> Validate(V1Secret s)
    {
        IDictionary<string, byte[]> data = s.Data ?? new Dictionary<string, byte[]>();
        foreach (FieldError e in ConfigDataValidation.Keys(data.Keys, "data"))
        {
            yield return e;
        }

        if (ConfigDataValidation.TooLong(data.Values.Sum(v => (long)(v?.Length ?? 0)), "data") is { } tooLong)
        {
            yield return tooLong;
        }

        switch (s.Type)
        {
            case "kubernetes.io/service-account-token":
                if (s.Metadata.Annotations?.TryGetValue("kubernetes.io/service-account.name", out string? account) != true || string.IsNullOrEmpty(account))
                {
                    yield return new FieldError(FieldErrorType.Required, "metadata.annotations[kubernetes.io/service-account.name]", null, "");
                }

                break;
            case "kubernetes.io/dockercfg":
            case "kubernetes.io/dockerconfigjson":
                string key = s.Type == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson";
                if (!data.TryGetValue(key, out byte[]? config))
                {
                    yield return new FieldError(FieldErrorType.Required, $"data[{key}]", null, "");
                }
                else if (JsonError(config) is { } error)
                {
                    yield return new FieldError(FieldErrorType.Invalid, $"data[{key}]", "<secret contents redacted>", error);
                }

                break;
            case "kubernetes.io/basic-auth":
                if (!data.ContainsKey("username") && !data.ContainsKey("password"))
                {
                    yield return new FieldError(FieldErrorType.Required, "data[username]", null, "");
                    yield return new FieldError(FieldErrorType.Required, "data[password]", null, "");
                }

                break;
            case "kubernetes.io/ssh-auth":
                if (!data.TryGetValue("ssh-privatekey", out byte[]? sshKey) || sshKey.Length == 0)
                {
                    yield return new FieldError(FieldErrorType.Required, "data[ssh-privatekey]", null, "");
                }

                break;
            case "kubernetes.io/tls":
                foreach (string tlsKey in new[] { "tls.key", "tls.crt" })
                {
                    if (!data.ContainsKey(tlsKey))
                    {
                        yield return new FieldError(FieldErrorType.Required, $"data[{tlsKey}]", null, "");
                    }
                }

                break;
        }
    }

    /// <summary>Data stays fixed once immutable; the type never changes.</summary>
    public static IEnumerable<FieldError> ValidateUpdate(V1Secret s, V1Secret old)
    {
        var errors = ConfigDataValidation.Immutable(old.Immutable, () => KubernetesSerialization.JsonEquals(s.Data, old.Data)).ToList();
        if (s.Type != old.Type)
        {
            errors.Add(FieldValidation.Immutable("type", s.Type));
        }

        return errors;
    }

    private static string? JsonError(byte[]? bytes)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(bytes ?? []);
            return null;
        }
        catch (System.Text.Json.JsonException e)
        {
            return e.Message;
        }
    }
}
