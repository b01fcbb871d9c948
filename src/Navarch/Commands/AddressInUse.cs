using System.Net.Sockets;

namespace Navarch.Commands;

/// <summary>
/// A listener whose port another process holds: the start stops with a one-line error and exit code 1 (the message
/// names the address), not a stack trace, and never runs on without the listener.
/// </summary>
internal static class AddressInUse
{
    /// <summary>Whether <paramref name="exception"/> (or one it wraps) is a bind refused with EADDRINUSE.</summary>
    public static bool Is(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Writes the one-line error; the command's exit code.</summary>
    public static async Task<int> ReportAsync(string command, Exception exception)
    {
        await Console.Error.WriteLineAsync($"navarch {command}: {exception.Message}");
        return 1;
    }
}
