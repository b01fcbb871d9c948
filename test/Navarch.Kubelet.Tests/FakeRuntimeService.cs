using Grpc.Core;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// An in-memory CRI runtime for unit tests of the pod worker (as kubelet's fake_runtime_service.go): sandboxes and
/// containers with their states and times on the test's clock, every call recorded, and containers that exit when
/// the test says so. Errors are the runtime's: NotFound for an unknown ID.
/// </summary>
internal sealed class FakeRuntimeService(TimeProvider time) : IRuntimeService
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, PodSandboxStatus> _sandboxes = [];
    private readonly Dictionary<string, (ContainerStatus Status, string SandboxId, ContainerConfig Config)> _containers = [];
    private readonly Dictionary<string, int> _exitOnStart = new(StringComparer.Ordinal);
    private readonly List<string> _calls = [];
    private int _next;

    /// <summary>The calls so far, by method name (CreateContainer, ListContainers...), in order.</summary>
    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>The names of the containers created, in order.</summary>
    public List<string> Created { get; } = [];

    /// <summary>The containers stopped, in order, with the timeout each was given.</summary>
    public List<(string Name, long Timeout)> Stopped { get; } = [];

    /// <summary>How many calls of <paramref name="method"/> were made.</summary>
    public int CallCount(string method) => Calls.Count(c => c == method);

    /// <summary>Forgets the calls recorded so far.</summary>
    public void ClearCalls()
    {
        lock (_lock)
        {
            _calls.Clear();
        }
    }

    /// <summary>Makes every later start of a container named <paramref name="name"/> exit at once with <paramref name="exitCode"/>.</summary>
    public void ExitOnStart(string name, int exitCode)
    {
        lock (_lock)
        {
            _exitOnStart[name] = exitCode;
        }
    }

    /// <summary>Ends the running container named <paramref name="name"/> with <paramref name="exitCode"/>.</summary>
    public void Exit(string name, int exitCode)
    {
        lock (_lock)
        {
            ContainerStatus status = _containers.Values.Select(c => c.Status).Single(s => s.Metadata.Name == name && s.State == ContainerState.ContainerRunning);
            Finish(status, exitCode);
        }
    }

    /// <summary>The containers of that name, oldest first.</summary>
    public IReadOnlyList<(ContainerStatus Status, ContainerConfig Config)> Containers(string name)
    {
        lock (_lock)
        {
            return [.. _containers.Values.Where(c => c.Status.Metadata.Name == name).OrderBy(c => c.Status.Metadata.Attempt).Select(c => (c.Status.Clone(), c.Config))];
        }
    }

    /// <summary>The sandboxes the runtime has.</summary>
    public IReadOnlyList<PodSandboxStatus> Sandboxes()
    {
        lock (_lock)
        {
            return [.. _sandboxes.Values.Select(s => s.Clone())];
        }
    }

    public Task<VersionResponse> VersionAsync(string apiVersion, CancellationToken cancellationToken) =>
        Call(nameof(VersionAsync), () => new VersionResponse { Version = "0.1.0", RuntimeName = "fake", RuntimeVersion = "0.1.0", RuntimeApiVersion = apiVersion });

    public Task<StatusResponse> StatusAsync(CancellationToken cancellationToken) => Call(nameof(StatusAsync), () =>
    {
        var status = new RuntimeStatus();
        status.Conditions.Add(new RuntimeCondition { Type = "RuntimeReady", Status = true });
        status.Conditions.Add(new RuntimeCondition { Type = "NetworkReady", Status = true });
        return new StatusResponse { Status = status };
    });

    public Task<string> RunPodSandboxAsync(PodSandboxConfig config, string runtimeHandler, CancellationToken cancellationToken) => Call(nameof(RunPodSandboxAsync), () =>
    {
        int n = ++_next;
        var status = new PodSandboxStatus
        {
            Id = $"sandbox-{n}",
            Metadata = config.Metadata.Clone(),
            State = PodSandboxState.SandboxReady,
            CreatedAt = Nanos(),
            Network = new PodSandboxNetworkStatus { Ip = $"10.88.0.{n}" },
        };
        status.Labels.Add(config.Labels);
        status.Annotations.Add(config.Annotations);
        _sandboxes[status.Id] = status;
        return status.Id;
    });

    public Task StopPodSandboxAsync(string podSandboxId, CancellationToken cancellationToken) => Call(nameof(StopPodSandboxAsync), () =>
    {
        Sandbox(podSandboxId).State = PodSandboxState.SandboxNotready;

        // Stopping a sandbox stops every process in it.
        foreach (var c in _containers.Values.Where(c => c.SandboxId == podSandboxId && c.Status.State == ContainerState.ContainerRunning))
        {
            Finish(c.Status, 137);
        }

        return true;
    });

    public Task RemovePodSandboxAsync(string podSandboxId, CancellationToken cancellationToken) => Call(nameof(RemovePodSandboxAsync), () =>
    {
        _sandboxes.Remove(podSandboxId);
        foreach (string id in _containers.Where(c => c.Value.SandboxId == podSandboxId).Select(c => c.Key).ToList())
        {
            _containers.Remove(id);
        }

        return true;
    });

    public Task<PodSandboxStatusResponse> PodSandboxStatusAsync(string podSandboxId, bool verbose, CancellationToken cancellationToken) =>
        Call(nameof(PodSandboxStatusAsync), () => new PodSandboxStatusResponse { Status = Sandbox(podSandboxId).Clone() });

    public Task<IReadOnlyList<PodSandbox>> ListPodSandboxAsync(PodSandboxFilter? filter, CancellationToken cancellationToken) => Call(nameof(ListPodSandboxAsync), () =>
    {
        IReadOnlyList<PodSandbox> list = [.. _sandboxes.Values
            .Where(s => filter is null || ((filter.Id.Length == 0 || s.Id == filter.Id) && (filter.State is null || s.State == filter.State.State) && Matches(s.Labels, filter.LabelSelector)))
            .Select(s =>
            {
                var sandbox = new PodSandbox { Id = s.Id, Metadata = s.Metadata.Clone(), State = s.State, CreatedAt = s.CreatedAt };
                sandbox.Labels.Add(s.Labels);
                sandbox.Annotations.Add(s.Annotations);
                return sandbox;
            })];
        return list;
    });

    public Task<string> CreateContainerAsync(string podSandboxId, ContainerConfig config, PodSandboxConfig sandboxConfig, CancellationToken cancellationToken) => Call(nameof(CreateContainerAsync), () =>
    {
        Sandbox(podSandboxId);
        var status = new ContainerStatus
        {
            Id = $"container-{++_next}",
            Metadata = config.Metadata.Clone(),
            State = ContainerState.ContainerCreated,
            CreatedAt = Nanos(),
            Image = config.Image.Clone(),
            ImageRef = config.Image.Image,
            LogPath = Path.Combine(sandboxConfig.LogDirectory, config.LogPath),
        };
        status.Labels.Add(config.Labels);
        status.Annotations.Add(config.Annotations);
        status.Mounts.Add(config.Mounts);
        _containers[status.Id] = (status, podSandboxId, config.Clone());
        Created.Add(config.Metadata.Name);
        return status.Id;
    });

    public Task StartContainerAsync(string containerId, CancellationToken cancellationToken) => Call(nameof(StartContainerAsync), () =>
    {
        ContainerStatus status = Container(containerId).Status;
        status.State = ContainerState.ContainerRunning;
        status.StartedAt = Nanos();
        if (_exitOnStart.TryGetValue(status.Metadata.Name, out int exitCode))
        {
            Finish(status, exitCode);
        }

        return true;
    });

    public Task StopContainerAsync(string containerId, long timeout, CancellationToken cancellationToken) => Call(nameof(StopContainerAsync), () =>
    {
        ContainerStatus status = Container(containerId).Status;
        Stopped.Add((status.Metadata.Name, timeout));
        if (status.State == ContainerState.ContainerRunning)
        {
            Finish(status, 137);
        }

        return true;
    });

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken) => Call(nameof(RemoveContainerAsync), () => _containers.Remove(containerId));

    public Task<IReadOnlyList<Container>> ListContainersAsync(ContainerFilter? filter, CancellationToken cancellationToken) => Call(nameof(ListContainersAsync), () =>
    {
        IReadOnlyList<Container> list = [.. _containers.Values
            .Where(c => filter is null || ((filter.Id.Length == 0 || c.Status.Id == filter.Id) && (filter.PodSandboxId.Length == 0 || c.SandboxId == filter.PodSandboxId)
                && (filter.State is null || c.Status.State == filter.State.State) && Matches(c.Status.Labels, filter.LabelSelector)))
            .Select(c =>
            {
                var container = new Container { Id = c.Status.Id, PodSandboxId = c.SandboxId, Metadata = c.Status.Metadata.Clone(), State = c.Status.State, CreatedAt = c.Status.CreatedAt, Image = c.Status.Image.Clone(), ImageRef = c.Status.ImageRef };
                container.Labels.Add(c.Status.Labels);
                container.Annotations.Add(c.Status.Annotations);
                return container;
            })];
        return list;
    });

    public Task<ContainerStatus> ContainerStatusAsync(string containerId, CancellationToken cancellationToken) =>
        Call(nameof(ContainerStatusAsync), () => Container(containerId).Status.Clone());

    public Task<ExecSyncResponse> ExecSyncAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken) =>
        Call(nameof(ExecSyncAsync), () =>
        {
            Container(containerId);
            return new ExecSyncResponse { ExitCode = 0 };
        });

    public Task<ExecResponse> ExecAsync(ExecRequest request, CancellationToken cancellationToken) =>
        Call(nameof(ExecAsync), () => new ExecResponse { Url = "http://127.0.0.1:1/exec/fake" });

    public Task<AttachResponse> AttachAsync(AttachRequest request, CancellationToken cancellationToken) =>
        Call(nameof(AttachAsync), () => new AttachResponse { Url = "http://127.0.0.1:1/attach/fake" });

    public Task<PortForwardResponse> PortForwardAsync(PortForwardRequest request, CancellationToken cancellationToken) =>
        Call(nameof(PortForwardAsync), () => new PortForwardResponse { Url = "http://127.0.0.1:1/portforward/fake" });

    public Task<IReadOnlyList<ContainerStats>> ListContainerStatsAsync(ContainerStatsFilter? filter, CancellationToken cancellationToken) =>
        Call<IReadOnlyList<ContainerStats>>(nameof(ListContainerStatsAsync), () => []);

    /// <summary>When set, asked before every call with its name; an exception it returns is thrown, as a bug in the runtime path would.</summary>
    public Func<string, Exception?>? Fault { get; set; }

    private Task<T> Call<T>(string method, Func<T> body)
    {
        lock (_lock)
        {
            _calls.Add(method[..^"Async".Length]);
            if (Fault?.Invoke(method[..^"Async".Length]) is { } fault)
            {
                throw fault;
            }

            try
            {
                return Task.FromResult(body());
            }
            catch (RpcException e)
            {
                return Task.FromException<T>(e);
            }
        }
    }

    private PodSandboxStatus Sandbox(string id) =>
        _sandboxes.TryGetValue(id, out PodSandboxStatus? sandbox) ? sandbox : throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, $"an error occurred when try to find sandbox \"{id}\": not found"));

    private (ContainerStatus Status, string SandboxId, ContainerConfig Config) Container(string id) =>
        _containers.TryGetValue(id, out var container) ? container : throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, $"an error occurred when try to find container \"{id}\": not found"));

    private void Finish(ContainerStatus status, int exitCode)
    {
        status.State = ContainerState.ContainerExited;
        status.ExitCode = exitCode;
        status.FinishedAt = Nanos();
        status.Reason = exitCode == 0 ? "Completed" : "Error";
    }

    private long Nanos() => (time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;

    private static bool Matches(Google.Protobuf.Collections.MapField<string, string> labels, Google.Protobuf.Collections.MapField<string, string> selector) =>
        selector.All(s => labels.TryGetValue(s.Key, out string? v) && v == s.Value);
}
