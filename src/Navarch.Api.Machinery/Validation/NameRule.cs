namespace Navarch.Api.Validation;

/// <summary>Which of Kubernetes' name validations a kind uses.</summary>
public enum NameRule
{
    /// <summary>RFC 1123 subdomain: most kinds.</summary>
    Subdomain,

    /// <summary>RFC 1123 label: namespaces, services.</summary>
    Label,

    /// <summary>Any path segment name (no '/', not '.' or '..', no '%'): RBAC kinds.</summary>
    PathSegment,
}
