namespace Navarch.E2E.Tests;

/// <summary>
/// What the kubectl behaviour tests (<see cref="KubectlBehaviour"/>) need of the control plane they run against: one
/// server (<see cref="NavarchServer"/>) or three on an embedded etcd (<see cref="HighAvailability.LoopbackServerTrio"/>).
/// </summary>
public interface IKubectlServer
{
    /// <summary>An admin kubeconfig (with several servers, the next server's at each read).</summary>
    string Kubeconfig { get; }

    /// <summary>A folder the tests may write files into.</summary>
    string DataDir { get; }

    Task<Kubectl.Result> KubectlAsync(params string[] args);

    Task<Kubectl.Result> KubectlWithInputAsync(string input, params string[] args);
}
