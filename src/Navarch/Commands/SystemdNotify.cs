using System.Net.Sockets;
using System.Text;

namespace Navarch.Commands;

/// <summary>
/// sd_notify(3) for a unit of <c>Type=notify</c>, as k3s sends it: <c>READY=1</c> once the command serves (so
/// <c>systemctl start</c> returns, and units ordered after it start, only then) and <c>STOPPING=1</c> when it begins
/// to stop. The message is one datagram to the unix socket systemd names in <c>$NOTIFY_SOCKET</c> (a leading <c>@</c>
/// is the abstract namespace); without the variable, outside systemd, nothing is sent.
/// </summary>
internal static class SystemdNotify
{
    /// <summary>The variable systemd sets for a notify unit.</summary>
    public const string SocketVariable = "NOTIFY_SOCKET";

    /// <summary>Tells the service manager the command is ready, with a status line for <c>systemctl status</c>.</summary>
    public static void Ready(string status) => Send($"READY=1\nSTATUS={status}");

    /// <summary>Tells the service manager the command is stopping.</summary>
    public static void Stopping() => Send("STOPPING=1");

    /// <summary>
    /// Sends <paramref name="state"/>; a socket that cannot be reached is reported on stderr and otherwise ignored
    /// (as sd_notify's callers do): the service itself runs on, and systemd's start timeout says the rest.
    /// </summary>
    public static void Send(string state)
    {
        if (Environment.GetEnvironmentVariable(SocketVariable) is not { Length: > 0 } path)
        {
            return;
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state), new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path));
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"navarch: cannot notify the service manager at {SocketVariable}={path}: {e.Message}");
        }
    }
}
