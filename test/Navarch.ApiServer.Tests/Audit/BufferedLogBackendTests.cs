using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer.Audit;

namespace Navarch.ApiServer.Tests.Audit;

/// <summary>The buffered log backend never holds a request up: a full buffer drops and counts; what was taken is written on stop.</summary>
[Trait("Category", "Unit")]
public sealed class BufferedLogBackendTests
{
    [Fact]
    public async Task A_full_buffer_drops_events_and_counts_them_while_the_file_is_stuck()
    {
        var file = new StuckFile();
        var backend = new BufferedLogBackend(file, NullLogger.Instance, bufferSize: 10, maxBufferedBytes: 1 << 20);
        Assert.True(backend.ProcessEvent([(byte)'0', (byte)'\n']));
        await file.Entered.Task;
        int taken = Enumerable.Range(1, 100).Count(i => backend.ProcessEvent([(byte)'x', (byte)'\n']));
        Assert.Equal(10, taken);
        Assert.Equal(90, backend.Dropped);

        file.Release();
        await backend.DisposeAsync();
        Assert.Equal(11, backend.Written);
        Assert.Equal(11, file.Lines);
        Assert.False(backend.ProcessEvent([(byte)'y', (byte)'\n']));
    }

    [Fact]
    public async Task The_buffer_is_bounded_by_bytes_too()
    {
        var file = new StuckFile();
        var backend = new BufferedLogBackend(file, NullLogger.Instance, bufferSize: 1000, maxBufferedBytes: 1000);
        Assert.True(backend.ProcessEvent(new byte[10]));
        await file.Entered.Task;
        Assert.True(backend.ProcessEvent(new byte[600]));
        Assert.False(backend.ProcessEvent(new byte[600]));
        Assert.True(backend.ProcessEvent(new byte[300]));
        file.Release();
        await backend.DisposeAsync();
        Assert.Equal((3, 1), (backend.Written, backend.Dropped));
    }

    /// <summary>A file whose first write blocks until released, as a slow disk would.</summary>
    private sealed class StuckFile : IAuditLogFile
    {
        private readonly ManualResetEventSlim _released = new();

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);


        public int Lines { get; private set; }

        public void Write(ReadOnlySpan<byte> data)
        {
            Entered.TrySetResult();
            _released.Wait();
            Lines++;
        }

        public void Flush()
        {
        }

        public void Release() => _released.Set();

        public void Dispose() => _released.Dispose();
    }
}
