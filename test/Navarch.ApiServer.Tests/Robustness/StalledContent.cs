using System.Net;

namespace Navarch.ApiServer.Tests.Robustness;

/// <summary>
/// A chunked request body that trickles whitespace after an opening brace until released: an upload that holds its
/// reservation. It sends faster than Kestrel's minimum data rate (240 bytes/s), which ends an upload that stalls.
/// </summary>
internal sealed class StalledContent(TaskCompletionSource release) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        byte[] spaces = new byte[512];
        Array.Fill(spaces, (byte)' ');
        await stream.WriteAsync("{"u8.ToArray());
        while (!release.Task.IsCompleted)
        {
            await stream.WriteAsync(spaces);
            await stream.FlushAsync();
            await Task.WhenAny(release.Task, Task.Delay(250));
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
