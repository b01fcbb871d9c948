using k8s.Models;

namespace Navarch.Api;

/// <summary>
/// Builders for the error statuses of Kubernetes' <c>apimachinery/pkg/api/errors</c>, with the same codes,
/// reasons and message shapes, so kubectl prints what users know.
/// </summary>
public static class ApiErrors
{
    /// <summary>404: <c>deployments.apps "web" not found</c>.</summary>
    public static StatusException NotFound(string groupResource, string name) =>
        Make(404, "NotFound", $"{groupResource} \"{name}\" not found", groupResource, name);

    /// <summary>409: <c>deployments.apps "web" already exists</c>.</summary>
    public static StatusException AlreadyExists(string groupResource, string name) =>
        Make(409, "AlreadyExists", $"{groupResource} \"{name}\" already exists", groupResource, name);

    /// <summary>409: the optimistic-concurrency conflict message Kubernetes uses.</summary>
    public static StatusException Conflict(string groupResource, string name, string? detail = null) =>
        Make(409, "Conflict",
            $"Operation cannot be fulfilled on {groupResource} \"{name}\": {detail ?? "the object has been modified; please apply your changes to the latest version and try again"}",
            groupResource, name);

    /// <summary>422: <c>Deployment.apps "web" is invalid: [field: error, ...]</c> with one cause per error.</summary>
    public static StatusException Invalid(string kind, string group, string name, IReadOnlyList<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        string qualifiedKind = group.Length == 0 ? kind : $"{kind}.{group}";
        string list = errors.Count == 1 ? errors[0].ToString() : "[" + string.Join(", ", errors.Select(e => e.ToString())) + "]";
        StatusException e = Make(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {list}", null, name);
        e.Status.Details.Group = group;
        e.Status.Details.Kind = kind;
        e.Status.Details.Causes = errors.Select(f => new V1StatusCause { Field = f.Field, Message = f.ErrorBody, Reason = f.Reason }).ToList();
        return e;
    }

    /// <summary>400 BadRequest with a message.</summary>
    public static StatusException BadRequest(string message) => Make(400, "BadRequest", message, null, null);

    /// <summary>401 Unauthorized.</summary>
    public static StatusException Unauthorized(string message = "Unauthorized") => Make(401, "Unauthorized", message, null, null);

    /// <summary>403 Forbidden: <c>pods "x" is forbidden: reason</c>, or <c>forbidden: reason</c> when no resource is named.</summary>
    public static StatusException Forbidden(string groupResource, string name, string reason) =>
        Make(403, "Forbidden", groupResource.Length == 0 ? $"forbidden: {reason}" : name.Length == 0 ? $"{groupResource} is forbidden: {reason}" : $"{groupResource} \"{name}\" is forbidden: {reason}", groupResource, name);

    /// <summary>405 MethodNotAllowed.</summary>
    public static StatusException MethodNotSupported(string groupResource, string verb) =>
        Make(405, "MethodNotAllowed", $"{verb} is not supported on resources of kind \"{groupResource}\"", groupResource, null);

    /// <summary>410 Expired: <c>too old resource version: 5 (120)</c>.</summary>
    public static StatusException Expired(string message) => Make(410, "Expired", message, null, null);

    /// <summary>413 RequestEntityTooLarge.</summary>
    public static StatusException TooLarge(string message = "Request entity too large: limit is 3145728") =>
        Make(413, "RequestEntityTooLarge", message, null, null);

    /// <summary>415 UnsupportedMediaType.</summary>
    public static StatusException UnsupportedMediaType(string contentType) =>
        Make(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf; got {contentType}", null, null);

    /// <summary>415 for a patch type the resource does not take (negotiation.NewUnsupportedMediaTypeError with the accepted types).</summary>
    public static StatusException UnsupportedPatchType(IEnumerable<string> accepted) =>
        Make(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: " + string.Join(", ", accepted), null, null);

    /// <summary>406 NotAcceptable.</summary>
    public static StatusException NotAcceptable(string accept) =>
        Make(406, "NotAcceptable", $"only the following media types are accepted: application/json, application/yaml; got {accept}", null, null);

    /// <summary>429 TooManyRequests.</summary>
    public static StatusException TooManyRequests(string message = "Too many requests, please try again later.") =>
        Make(429, "TooManyRequests", message, null, null);

    /// <summary>500, for failures that are not the client's (kept for the store being unavailable, never for bad input).</summary>
    public static StatusException Internal(string message) => Make(500, "InternalError", $"Internal error occurred: {message}", null, null);

    /// <summary>
    /// 500 for an error kube-apiserver has no Status for (apiserver's ErrorToAPIStatus of a plain error): no reason, the
    /// message as it is — kubectl prints <c>Error from server: &lt;message&gt;</c>. A failing conversion webhook is one.
    /// </summary>
    public static StatusException Unclassified(string message) => new(new V1Status
    {
        ApiVersion = "v1",
        Kind = "Status",
        Metadata = new V1ListMeta(),
        Status = "Failure",
        Message = message,
        Code = 500,
    });

    /// <summary>503 ServiceUnavailable.</summary>
    public static StatusException Unavailable(string message) => Make(503, "ServiceUnavailable", message, null, null);

    /// <summary>504 Timeout.</summary>
    public static StatusException Timeout(string message) => Make(504, "Timeout", message, null, null);

    /// <summary>
    /// 504 for a read at a resourceVersion the server has not reached (after waiting for it), as the watch cache answers:
    /// the cause <c>ResourceVersionTooLarge</c> is what client-go's reflector looks for, and it retries after a second.
    /// </summary>
    public static StatusException TooLargeResourceVersion(long requested, long current)
    {
        StatusException e = Make(504, "Timeout", $"Too large resource version: {requested}, current: {current}", null, null);
        e.Status.Details.Causes = [new V1StatusCause { Reason = "ResourceVersionTooLarge", Message = "Too large resource version" }];
        e.Status.Details.RetryAfterSeconds = 1;
        return e;
    }

    private static StatusException Make(int code, string reason, string message, string? groupResource, string? name)
    {
        V1StatusDetails? details = null;
        if (groupResource is not null || name is not null)
        {
            details = new V1StatusDetails { Name = name };
            if (groupResource is not null)
            {
                int dot = groupResource.IndexOf('.', StringComparison.Ordinal);
                details.Kind = dot < 0 ? groupResource : groupResource[..dot];
                details.Group = dot < 0 ? "" : groupResource[(dot + 1)..];
            }
        }

        var status = new V1Status
        {
            ApiVersion = "v1",
            Kind = "Status",
            Metadata = new V1ListMeta(),
            Status = "Failure",
            Message = message,
            Reason = reason,
            Details = details ?? new V1StatusDetails(),
            Code = code,
        };
        return new StatusException(status);
    }
}
