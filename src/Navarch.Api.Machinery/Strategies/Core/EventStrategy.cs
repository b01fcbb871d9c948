using k8s.Models;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 Event.</summary>
internal static class EventStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<Corev1Event> Create() => new()
    {
        Validation = Validate,
        Fields = e =>
        [
            new("involvedObject.kind", e.InvolvedObject?.Kind ?? ""),
            new("involvedObject.namespace", e.InvolvedObject?.NamespaceProperty ?? ""),
            new("involvedObject.name", e.InvolvedObject?.Name ?? ""),
            new("involvedObject.uid", e.InvolvedObject?.Uid ?? ""),
            new("involvedObject.apiVersion", e.InvolvedObject?.ApiVersion ?? ""),
            new("involvedObject.resourceVersion", e.InvolvedObject?.ResourceVersion ?? ""),
            new("involvedObject.fieldPath", e.InvolvedObject?.FieldPath ?? ""),
            new("reason", e.Reason ?? ""),
            new("reportingComponent", e.ReportingComponent ?? ""),
            new("source", e.Source?.Component ?? ""),
            new("type", e.Type ?? ""),
        ],
        Columns =
        [
            new("Last Seen", "string", "", "Time when last event of this kind was observed."),
            new("Type", "string", "", "Type of this event (Normal, Warning)."),
            new("Reason", "string", "", "Short, machine understandable string that gives the reason for this event being generated."),
            new("Object", "string", "", "The object this Event is about."),
            new("Message", "string", "", "A human-readable description of the status of this operation."),
        ],
        Cells = (e, now) =>
        [
            Age.Of(e.LastTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp, now),
            e.Type,
            e.Reason,
            $"{e.InvolvedObject?.Kind?.ToLowerInvariant()}/{e.InvolvedObject?.Name}",
            e.Message,
        ],
    };

    /// <summary>ValidateEvent: the involved object lives in the event's namespace (when it has one).</summary>
    private static IEnumerable<FieldError> Validate(Corev1Event e)
    {
        if (e.InvolvedObject?.NamespaceProperty is { Length: > 0 } ns && ns != e.Metadata.NamespaceProperty)
        {
            yield return new FieldError(FieldErrorType.Invalid, "involvedObject.namespace", ns, "does not match event.namespace");
        }
    }
}
