using Navarch.Api;

namespace Navarch.ApiServer.Http;

/// <summary>
/// Bounds the request-body bytes the server holds at once. A body is decoded into trees and objects many times its
/// size, so 150 bodies of 3 MB at once once took the server to 6 GB; a request reserves its body's size (its
/// Content-Length, or the largest body when chunked) before reading it, holds it until the request ends, and waits
/// (first come, first served) while the budget is spent — a 429 after <see cref="MaxWait"/>. Reserving the whole
/// size at once means waiting requests never hold part of the budget, so they cannot starve each other.
/// </summary>
internal sealed class BodyBudget(long capacity, TimeProvider time)
{
    /// <summary>How long a request waits for the budget before it is told to come back.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();

    private readonly LinkedList<(long Bytes, TaskCompletionSource Ready)> _waiting = new();

    private long _used;

    /// <summary>Bytes reserved now.</summary>
    public long Used
    {
        get
        {
            lock (_lock)
            {
                return _used;
            }
        }
    }

    /// <summary>Reserves <paramref name="bytes"/>, waiting for requests ahead to finish; a body larger than the whole budget waits for an empty one.</summary>
    public async Task AcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        LinkedListNode<(long Bytes, TaskCompletionSource Ready)> node;
        lock (_lock)
        {
            if (_waiting.Count == 0 && (_used + bytes <= capacity || _used == 0))
            {
                _used += bytes;
                return;
            }

            node = _waiting.AddLast((bytes, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)));
        }

        try
        {
            await node.Value.Ready.Task.WaitAsync(MaxWait, time, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            lock (_lock)
            {
                if (node.List is not null)
                {
                    _waiting.Remove(node);
                    Wake();
                    throw e is TimeoutException ? ApiErrors.TooManyRequests("Too many request bodies in flight, please try again later.") : e;
                }
            }

            // Granted just as the wait ended: give it back.
            Release(bytes);
            throw e is TimeoutException ? ApiErrors.TooManyRequests("Too many request bodies in flight, please try again later.") : e;
        }
    }

    /// <summary>Gives back what a request reserved.</summary>
    public void Release(long bytes)
    {
        lock (_lock)
        {
            _used -= bytes;
            Wake();
        }
    }

    private void Wake()
    {
        while (_waiting.First is { } first && (_used + first.Value.Bytes <= capacity || _used == 0))
        {
            _waiting.RemoveFirst();
            _used += first.Value.Bytes;
            first.Value.Ready.TrySetResult();
        }
    }
}
