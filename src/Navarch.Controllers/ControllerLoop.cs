using Microsoft.Extensions.Logging;
using Navarch.Client;
using Navarch.Client.Queue;

namespace Navarch.Controllers;

/// <summary>
/// The worker loop every controller shares, the client-go way: take a key, sync it, forget it on success or re-add
/// it rate-limited on failure (any exception: no object can end a worker), mark it done; stop and drain on cancellation.
/// </summary>
public static partial class ControllerLoop
{
    /// <summary>Runs <paramref name="workers"/> workers over <paramref name="queue"/> calling <paramref name="sync"/>.</summary>
    public static async Task RunAsync(string name, WorkQueue<string> queue, int workers, Func<string, CancellationToken, Task> sync, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        Task[] running = Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(name, queue, sync, logger, cancellationToken), CancellationToken.None)).ToArray();
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await queue.ShutDownWithDrainAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private static async Task WorkAsync(string name, WorkQueue<string> queue, Func<string, CancellationToken, Task> sync, ILogger logger, CancellationToken cancellationToken)
    {
        while (true)
        {
            (string? key, bool shutDown) = await queue.GetAsync(CancellationToken.None).ConfigureAwait(false);
            if (shutDown)
            {
                return;
            }

            try
            {
                await sync(key!, cancellationToken).ConfigureAwait(false);
                queue.Forget(key!);
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or IOException or k8s.Autorest.HttpOperationException
                                      || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                LogSyncFailed(logger, name, key!, e.Message);
                queue.AddRateLimited(key!);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A bug, or an object nobody foresaw: logged with its stack and retried with back-off like any failure,
                // so one poison object never ends the worker (utilruntime.HandleError, then requeue).
                LogSyncCrashed(logger, name, key!, e);
                queue.AddRateLimited(key!);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            finally
            {
                queue.Done(key!);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Controller}: syncing {Key} threw, will retry")]
    private static partial void LogSyncCrashed(ILogger logger, string controller, string key, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Controller}: syncing {Key} failed, will retry: {Reason}")]
    private static partial void LogSyncFailed(ILogger logger, string controller, string key, string reason);
}
