namespace Navarch.Join;

/// <summary>A join the user can fix (wrong token, wrong server); the message is printed as is.</summary>
internal sealed class JoinException(string message, Exception? inner = null) : Exception(message, inner);
