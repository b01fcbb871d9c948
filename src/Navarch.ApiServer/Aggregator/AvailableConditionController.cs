using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Aggregator;

/// <summary>
/// kube-aggregator's APIServiceAvailabilityController: every few seconds each APIService gets its <c>Available</c>
/// condition — True/Local for the server's own, else the Service must exist and listen on the port, its Endpoints must
/// have an address on it (ServiceNotFound, ServicePortError, EndpointsNotFound, MissingEndpoints), and a discovery GET of
/// <c>/apis/&lt;group&gt;/&lt;version&gt;</c> through the front proxy must answer 2xx within 5 s (FailedDiscoveryCheck);
/// then True/Passed. The condition is written through the status subresource only when it changes.
/// </summary>
internal sealed partial class AvailableConditionController(
    StoreRegistry stores, ApiServiceEndpoints endpoints, ApiServiceTransport transport, TimeProvider time, ILogger logger, TimeSpan? interval = null) : IAsyncDisposable
{
    private static readonly TimeSpan DiscoveryTimeout = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    /// <summary>Starts checking in the background.</summary>
    public void Start() => _loop = RunAsync(_stop.Token);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    /// <summary>Checks every APIService once.</summary>
    public async Task SyncAllAsync(CancellationToken cancellationToken)
    {
        GenericStore apiServices = stores.For("apiregistration.k8s.io", "v1", "apiservices");
        // From the store, not the watch cache: the first pass (at start) must see the local APIServices just registered.
        ListPage page = await apiServices.ListAsync(null, new ListQuery(Api.Selectors.LabelSelector.Everything, Api.Selectors.FieldSelector.Everything), cancellationToken);
        await Parallel.ForEachAsync(page.Items.Cast<V1APIService>(), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (apiService, token) =>
        {
            (string status, string reason, string message) = await CheckAsync(apiService, token);
            V1APIServiceCondition? current = apiService.Status?.Conditions?.FirstOrDefault(c => c.Type == "Available");
            if (current?.Status == status && current.Reason == reason && current.Message == message)
            {
                return;
            }

            try
            {
                await apiServices.UpdateAsync(null, apiService.Metadata.Name, "status", UpdateKind.Status, dryRun: false, stored => WithCondition(apiServices, stored, status, reason, message), token);
            }
            catch (Api.StatusException e)
            {
                // Deleted or changed meanwhile: the next round sees it.
                LogWriteFailed(logger, apiService.Metadata.Name, e.Message);
            }
        });
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await SyncAllAsync(cancellationToken);
                await Task.Delay(interval ?? TimeSpan.FromSeconds(5), time, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogSyncFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task<(string Status, string Reason, string Message)> CheckAsync(V1APIService apiService, CancellationToken cancellationToken)
    {
        if (apiService.Spec?.Service is not { } service)
        {
            return ("True", "Local", "Local APIServices are always available");
        }

        ApiServiceEndpoints.Resolution resolution = await endpoints.ResolveAsync(service, cancellationToken);
        if (resolution.Endpoint is not { } endpoint)
        {
            return ("False", resolution.Reason, resolution.Message);
        }

        var url = new Uri(endpoint, $"/apis/{apiService.Spec.Group}/{apiService.Spec.Version}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DiscoveryTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ApiServiceTransport.Destination(endpoint), url.PathAndQuery));
            // The aggregator's own identity, as kube-aggregator's discovery check sends it.
            ApiServiceTransport.SetIdentity(request, [new("X-Remote-User", "system:kube-aggregator"), new("X-Remote-Group", "system:masters")]);
            using HttpResponseMessage response = await transport.For(apiService).SendAsync(request, timeout.Token);
            int code = (int)response.StatusCode;
            return code is < 200 or > 300
                ? ("False", "FailedDiscoveryCheck", $"failing or missing response from {url}: bad status from {url}: {code}")
                : ("True", "Passed", "all checks passed");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            string why = e is OperationCanceledException ? "context deadline exceeded" : e.Message;
            return ("False", "FailedDiscoveryCheck", $"failing or missing response from {url}: {why}");
        }
    }

    private k8s.IKubernetesObject<V1ObjectMeta> WithCondition(GenericStore apiServices, k8s.IKubernetesObject<V1ObjectMeta> stored, string status, string reason, string message)
    {
        var apiService = (V1APIService)ObjectCodec.Clone(apiServices.Definition, stored);
        apiService.Status ??= new V1APIServiceStatus();
        apiService.Status.Conditions ??= [];
        V1APIServiceCondition? condition = apiService.Status.Conditions.FirstOrDefault(c => c.Type == "Available");
        if (condition is null)
        {
            condition = new V1APIServiceCondition { Type = "Available" };
            apiService.Status.Conditions.Add(condition);
        }

        if (condition.Status != status)
        {
            DateTimeOffset now = time.GetUtcNow();
            condition.LastTransitionTime = new DateTime(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        }

        condition.Status = status;
        condition.Reason = reason;
        condition.Message = message;
        return apiService;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "APIService availability check failed")]
    private static partial void LogSyncFailed(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "APIService {Name}: status not written: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string name, string reason);
}
