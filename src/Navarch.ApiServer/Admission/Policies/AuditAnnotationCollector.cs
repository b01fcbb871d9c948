namespace Navarch.ApiServer.Admission.Policies;

/// <summary>
/// A policy's audit annotations over all its bindings and parameters (dispatcher.go's auditAnnotationCollector): equal
/// values of a key are kept once, distinct ones joined with ", ", and each key published as <c>&lt;policy&gt;/&lt;key&gt;</c>.
/// </summary>
internal sealed class AuditAnnotationCollector
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public void Add(string key, string value)
    {
        if (!_values.TryGetValue(key, out List<string>? values))
        {
            _values[key] = values = [];
        }

        if (!values.Contains(value, StringComparer.Ordinal))
        {
            values.Add(value);
        }
    }

    public void Publish(string policyName, AdmissionRequest request)
    {
        foreach ((string key, List<string> values) in _values)
        {
            request.AddAuditAnnotation(policyName + "/" + key, string.Join(", ", values));
        }
    }
}
