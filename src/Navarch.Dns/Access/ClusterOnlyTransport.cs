using System.Net;
using ARSoft.Tools.Net.Dns;

namespace Navarch.Dns.Access;

/// <summary>
/// A connection-oriented server transport (TCP) that closes a connection from a client the cluster DNS does not answer
/// as soon as it is accepted, so an outsider holds no connection, socket or task. (ARSoft's own <c>RefuseConnect</c>
/// leaves the refused connection open.) UDP needs none: each datagram is answered REFUSED.
/// </summary>
internal sealed class ClusterOnlyTransport(IServerTransport inner, Func<IPAddress, bool> allows, Action<IPAddress> refused) : IServerTransport
{
    public ushort DefaultAllowedResponseSize => inner.DefaultAllowedResponseSize;

    public bool SupportsMultipleResponses => inner.SupportsMultipleResponses;

    public bool AllowTruncatedResponses => inner.AllowTruncatedResponses;

    public TransportProtocol TransportProtocol => inner.TransportProtocol;

    public void Bind() => inner.Bind();

    public void Close() => inner.Close();

    public async Task<IServerConnection?> AcceptConnectionAsync(CancellationToken token = default)
    {
        IServerConnection? connection = await inner.AcceptConnectionAsync(token).ConfigureAwait(false);
        if (connection is not null && !allows(connection.RemoteEndPoint.Address))
        {
            refused(connection.RemoteEndPoint.Address);
            connection.Dispose();
            return null;
        }

        return connection;
    }

    public void Dispose() => inner.Dispose();
}
