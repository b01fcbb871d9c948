namespace Navarch.Commands.CheckConfig;

/// <summary>How a prerequisite check came out.</summary>
internal enum CheckStatus
{
    /// <summary>Present and usable.</summary>
    Pass,

    /// <summary>Missing but optional.</summary>
    Warn,

    /// <summary>Missing and required: the node cannot run pods.</summary>
    Fail,
}
