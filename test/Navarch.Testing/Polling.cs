using System.Diagnostics;

namespace Navarch.Testing;

/// <summary>
/// Waiting in tests for something that happens asynchronously (a controller's write, a pod's status, a server coming
/// up): poll until it holds, and on timeout fail with a message that names what was awaited. Every suite uses this
/// one helper (<c>using static Navarch.Testing.Polling</c>), so a timeout reads the same everywhere.
/// </summary>
public static class Polling
{
    /// <summary>How long <see cref="Eventually(Func{Task{bool}}, string, TimeSpan?, TimeSpan?, Func{Task{string}}?)"/> waits by default.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The pause between two polls by default: short, since most conditions read an in-process server.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Polls <paramref name="condition"/> until it is true; throws a <see cref="TimeoutException"/> naming
    /// <paramref name="what"/> (and <paramref name="detail"/>, e.g. logs) after <paramref name="timeout"/>. An exception
    /// from the condition ends the wait at once, so an assertion inside it fails fast.
    /// </summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, TimeSpan? interval = null, Func<Task<string>>? detail = null) =>
        await Eventually(condition, static done => done, what, timeout, interval, detail);

    /// <summary>Polls a synchronous <paramref name="condition"/> (a counter, a task's state) until it is true.</summary>
    public static Task Eventually(Func<bool> condition, string what, TimeSpan? timeout = null, TimeSpan? interval = null, Func<string>? detail = null) =>
        Eventually(() => Task.FromResult(condition()), what, timeout, interval, detail is null ? null : () => Task.FromResult(detail()));

    /// <summary>Reads with <paramref name="read"/> until <paramref name="done"/> holds of the value; returns that value.</summary>
    public static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null, TimeSpan? interval = null, Func<Task<string>>? detail = null)
    {
        TimeSpan limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            T value = await read();
            if (done(value))
            {
                return value;
            }

            if (clock.Elapsed > limit)
            {
                throw new TimeoutException(await MessageAsync(what, limit, null, detail));
            }

            await Task.Delay(interval ?? DefaultInterval);
        }
    }

    /// <summary>
    /// Runs <paramref name="check"/> (assertions) until it passes; after <paramref name="timeout"/> the last failure is
    /// reported with <paramref name="what"/> and <paramref name="detail"/>.
    /// </summary>
    public static async Task EventuallyPasses(Func<Task> check, string what, TimeSpan? timeout = null, TimeSpan? interval = null, Func<Task<string>>? detail = null)
    {
        TimeSpan limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await check();
                return;
            }
            catch (Exception) when (clock.Elapsed <= limit)
            {
                // Not yet: poll again.
            }
            catch (Exception e)
            {
                throw new TimeoutException(await MessageAsync(what, limit, e.Message, detail), e);
            }

            await Task.Delay(interval ?? DefaultInterval);
        }
    }

    private static async Task<string> MessageAsync(string what, TimeSpan limit, string? lastFailure, Func<Task<string>>? detail)
    {
        string message = $"timed out after {limit.TotalSeconds:0.#} s waiting until {what}";
        if (lastFailure is not null)
        {
            message += $"\nlast failure: {lastFailure}";
        }

        if (detail is not null)
        {
            message += "\n" + await detail();
        }

        return message;
    }
}
