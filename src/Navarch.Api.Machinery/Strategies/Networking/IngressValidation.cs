using System.Net;
using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Networking;

/// <summary>Kubernetes' <c>ValidateIngressSpec</c>.</summary>
internal static class IngressValidation
{
    private static readonly SupportedValues PathTypes = new("Exact", "ImplementationSpecific", "Prefix");

    /// <summary>A default backend or rules; hosts; paths with their type; backends.</summary>
    public static IEnumerable<FieldError> Validate(V1Ingress ingress)
    {
        V1IngressSpec? spec = ingress.Spec;
        IList<V1IngressRule> rules = spec?.Rules ?? [];
        if (spec?.DefaultBackend is null && rules.Count == 0)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec", null, "either `defaultBackend` or `rules` must be specified");
        }

        if (spec?.DefaultBackend is { } fallback)
        {
            foreach (FieldError error in Backend(fallback, "spec.defaultBackend"))
            {
                yield return error;
            }
        }

        for (int i = 0; i < rules.Count; i++)
        {
            string at = $"spec.rules[{i}]";
            if (rules[i].Host is { Length: > 0 } host)
            {
                if (IPAddress.TryParse(host, out _))
                {
                    yield return new FieldError(FieldErrorType.Invalid, at + ".host", host, "must be a DNS name, not an IP address");
                }
                else
                {
                    foreach (string problem in MetadataValidation.NameProblems(host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host, NameRule.Subdomain))
                    {
                        yield return new FieldError(FieldErrorType.Invalid, at + ".host", host, problem);
                    }
                }
            }

            IList<V1HTTPIngressPath> paths = rules[i].Http?.Paths ?? [];
            if (rules[i].Http is not null && paths.Count == 0)
            {
                yield return new FieldError(FieldErrorType.Required, at + ".http.paths", null, "");
            }

            for (int j = 0; j < paths.Count; j++)
            {
                string pathAt = $"{at}.http.paths[{j}]";
                string? type = paths[j].PathType;
                if (string.IsNullOrEmpty(type))
                {
                    yield return new FieldError(FieldErrorType.Required, pathAt + ".pathType", null, "pathType must be specified");
                }
                else if (PathTypes.Check(pathAt + ".pathType", type) is { } badType)
                {
                    yield return badType;
                }
                else if (type is "Exact" or "Prefix" && !(paths[j].Path ?? "").StartsWith('/'))
                {
                    yield return new FieldError(FieldErrorType.Invalid, pathAt + ".path", paths[j].Path ?? "", "must be an absolute path");
                }

                foreach (FieldError error in Backend(paths[j].Backend, pathAt + ".backend"))
                {
                    yield return error;
                }
            }
        }
    }

    private static IEnumerable<FieldError> Backend(V1IngressBackend? backend, string at)
    {
        if (backend?.Service is null && backend?.Resource is null)
        {
            yield return new FieldError(FieldErrorType.Invalid, at, null, "one backend (service or resource) must be specified");
        }
        else if (backend.Service is not null && backend.Resource is not null)
        {
            yield return new FieldError(FieldErrorType.Invalid, at, null, "cannot set both resource and service backends");
        }
        else if (backend.Service is { } service)
        {
            if (string.IsNullOrEmpty(service.Name))
            {
                yield return new FieldError(FieldErrorType.Required, at + ".service.name", null, "");
            }

            bool named = !string.IsNullOrEmpty(service.Port?.Name);
            bool numbered = service.Port?.Number is > 0;
            if (named == numbered)
            {
                yield return new FieldError(FieldErrorType.Invalid, at + ".service.port", null, "port name or number is required");
            }
            else if (service.Port?.Number is { } number && FieldValidation.PortNumber(at + ".service.port.number", number) is { } badNumber)
            {
                yield return badNumber;
            }
        }
    }
}
