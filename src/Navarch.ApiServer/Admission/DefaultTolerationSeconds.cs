using k8s.Models;

namespace Navarch.ApiServer.Admission;

/// <summary>
/// Kubernetes' DefaultTolerationSeconds: a new pod tolerates a not-ready or unreachable node for 300 s unless it
/// says otherwise, so the node lifecycle controller evicts it only after that.
/// </summary>
internal sealed class DefaultTolerationSeconds : IAdmissionPlugin
{
    private const long Seconds = 300;

    public string Name => "DefaultTolerationSeconds";

    public bool Mutating => true;

    public ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Operation == AdmissionOperation.Create && request.Object is V1Pod pod && pod.Spec is not null)
        {
            pod.Spec.Tolerations ??= [];
            foreach (string key in new[] { "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable" })
            {
                bool tolerated = pod.Spec.Tolerations.Any(t =>
                    (t.Key == key || (string.IsNullOrEmpty(t.Key) && t.OperatorProperty == "Exists")) && (string.IsNullOrEmpty(t.Effect) || t.Effect == "NoExecute"));
                if (!tolerated)
                {
                    pod.Spec.Tolerations.Add(new V1Toleration { Key = key, OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = Seconds });
                }
            }
        }

        return ValueTask.CompletedTask;
    }
}
