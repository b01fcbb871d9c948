namespace Navarch.Api.Cel;

/// <summary>A CEL expression that does not compile: a syntax error, an undeclared reference, an unknown function, or a cost that exceeds the limit.</summary>
public sealed class CelCompileException : Exception
{
    /// <summary>A compile error with its message (e.g. "undeclared reference to 'foo'").</summary>
    public CelCompileException(string message)
        : base(message)
    {
    }

    /// <summary>A compile error with its message and cause.</summary>
    public CelCompileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>A compile error without detail.</summary>
    public CelCompileException()
        : base("compilation failed")
    {
    }
}
