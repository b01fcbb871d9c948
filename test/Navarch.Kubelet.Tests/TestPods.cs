using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests;

/// <summary>The waits the kubelet's end-to-end tests share, on pods in the <c>default</c> namespace.</summary>
internal static class TestPods
{
    private const string Ns = "default";

    /// <summary>Reads pod <paramref name="name"/> until <paramref name="condition"/> holds; returns it.</summary>
    public static Task<V1Pod> WaitAsync(Kubernetes client, string name, Func<V1Pod, bool> condition, string what, int seconds = 60) =>
        KubeletNode.WaitAsync(async () =>
        {
            V1Pod p = await client.CoreV1.ReadNamespacedPodAsync(name, Ns);
            return condition(p) ? p : null;
        }, what, seconds);

    /// <summary>Waits for pod <paramref name="name"/> to finish and asserts it ended in <paramref name="phase"/>.</summary>
    public static async Task WaitPhaseAsync(Kubernetes client, string name, string phase)
    {
        V1Pod pod = await WaitAsync(client, name, p => p.Status?.Phase is "Succeeded" or "Failed", $"pod {name} finished");
        Assert.True(pod.Status.Phase == phase, $"pod {name} is {pod.Status.Phase}: {pod.Status.ContainerStatuses?.FirstOrDefault()?.State?.Terminated?.Message}");
    }

    /// <summary>Waits until pod <paramref name="name"/> is gone from the API (404).</summary>
    public static Task WaitGoneAsync(Kubernetes client, string name, int seconds = 60) =>
        KubeletNode.WaitAsync(async () => await Absent.OrNullAsync(() => client.CoreV1.ReadNamespacedPodAsync(name, Ns)) is null ? "gone" : null, $"pod {name} deleted", seconds);

    /// <summary>Deletes pod <paramref name="name"/> (with <paramref name="gracePeriodSeconds"/>, if given) and waits until it is gone.</summary>
    public static async Task DeleteAndWaitGoneAsync(Kubernetes client, string name, long? gracePeriodSeconds = null)
    {
        await client.CoreV1.DeleteNamespacedPodAsync(name, Ns, gracePeriodSeconds is null ? null : new V1DeleteOptions { GracePeriodSeconds = gracePeriodSeconds });
        await WaitGoneAsync(client, name);
    }
}
