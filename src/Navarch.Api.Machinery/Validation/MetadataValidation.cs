using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Navarch.Api.Validation;

/// <summary>Kubernetes' <c>ValidateObjectMeta</c>: names, labels, annotations, with its messages.</summary>
public static partial class MetadataValidation
{
    private const string SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string QualifiedNameMessage = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    private const string LabelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    private const int TotalAnnotationBytes = 256 * 1024;

    /// <summary>Validates the metadata of an object whose names follow <paramref name="rule"/>.</summary>
    public static IEnumerable<FieldError> Validate(V1ObjectMeta? metadata, NameRule rule)
    {
        if (metadata is null)
        {
            yield return new FieldError(FieldErrorType.Required, "metadata", null, "");
            yield break;
        }

        if (string.IsNullOrEmpty(metadata.Name))
        {
            yield return new FieldError(FieldErrorType.Required, "metadata.name", null, "name or generateName is required");
        }
        else
        {
            foreach (string problem in NameProblems(metadata.Name, rule))
            {
                yield return new FieldError(FieldErrorType.Invalid, "metadata.name", metadata.Name, problem);
            }
        }

        foreach (FieldError e in ValidateLabels(metadata.Labels, "metadata.labels"))
        {
            yield return e;
        }

        if (metadata.Annotations is { } annotations)
        {
            long total = 0;
            foreach ((string key, string value) in annotations)
            {
                foreach (string problem in QualifiedNameProblems(key))
                {
                    yield return new FieldError(FieldErrorType.Invalid, "metadata.annotations", key, problem);
                }

                total += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value ?? "");
            }

            if (total > TotalAnnotationBytes)
            {
                yield return new FieldError(FieldErrorType.TooLong, "metadata.annotations", null, $"may not be more than {TotalAnnotationBytes} bytes");
            }
        }

        if (metadata.Finalizers is { } finalizers)
        {
            for (int i = 0; i < finalizers.Count; i++)
            {
                foreach (string problem in QualifiedNameProblems(finalizers[i]))
                {
                    yield return new FieldError(FieldErrorType.Invalid, $"metadata.finalizers[{i}]", finalizers[i], problem);
                }
            }
        }
    }

    /// <summary>Validates a label map (keys are qualified names, values label values).</summary>
    public static IEnumerable<FieldError> ValidateLabels(IDictionary<string, string>? labels, string path)
    {
        if (labels is null)
        {
            yield break;
        }

        foreach ((string key, string value) in labels)
        {
            foreach (string problem in QualifiedNameProblems(key))
            {
                yield return new FieldError(FieldErrorType.Invalid, path, key, problem);
            }

            if (value is { Length: > 0 } && (value.Length > 63 || !LabelValueRegex().IsMatch(value)))
            {
                yield return new FieldError(FieldErrorType.Invalid, path, value, value.Length > 63 ? "must be no more than 63 characters" : LabelValueMessage);
            }
        }
    }

    /// <summary>Problems with <paramref name="name"/> under <paramref name="rule"/>; empty when valid.</summary>
    public static IEnumerable<string> NameProblems(string name, NameRule rule)
    {
        switch (rule)
        {
            case NameRule.Label:
                if (name.Length > 63)
                {
                    yield return "must be no more than 63 characters";
                }

                if (!LabelRegex().IsMatch(name))
                {
                    yield return LabelMessage;
                }

                break;
            case NameRule.PathSegment:
                if (name is "." or "..")
                {
                    yield return $"may not be '{name}'";
                }

                foreach (string bad in new[] { "/", "%" })
                {
                    if (name.Contains(bad, StringComparison.Ordinal))
                    {
                        yield return $"may not contain '{bad}'";
                    }
                }

                break;
            default:
                if (name.Length > 253)
                {
                    yield return "must be no more than 253 characters";
                }

                if (!SubdomainRegex().IsMatch(name))
                {
                    yield return SubdomainMessage;
                }

                break;
        }
    }

    /// <summary>Problems with a qualified name (label or annotation key, finalizer): optional DNS prefix + '/' + name.</summary>
    public static IEnumerable<string> QualifiedNameProblems(string value)
    {
        string name = value;
        int slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            string prefix = value[..slash];
            name = value[(slash + 1)..];
            if (prefix.Length == 0)
            {
                yield return "prefix part must be non-empty";
            }
            else if (prefix.Length > 253 || !SubdomainRegex().IsMatch(prefix))
            {
                yield return "prefix part " + SubdomainMessage;
            }
        }

        if (name.Length == 0)
        {
            yield return "name part must be non-empty";
        }
        else if (name.Length > 63)
        {
            yield return "name part must be no more than 63 characters";
        }
        else if (!QualifiedNameRegex().IsMatch(name))
        {
            yield return QualifiedNameMessage;
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex SubdomainRegex();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex LabelRegex();

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedNameRegex();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValueRegex();
}
