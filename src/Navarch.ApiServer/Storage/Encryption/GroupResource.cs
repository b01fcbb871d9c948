namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>A resource and its API group, as an EncryptionConfiguration names them (<c>schema.GroupResource</c>).</summary>
internal readonly record struct GroupResource(string Group, string Resource)
{
    /// <summary><c>*.*</c>: every resource of every group.</summary>
    public static GroupResource Everything { get; } = new("*", "*");

    /// <summary>
    /// <c>secrets</c> → core group; <c>deployments.apps</c>; <c>*.apps</c> every resource of a group; <c>*.</c> every
    /// resource of the core group; <c>*.*</c> everything (schema.ParseGroupResource: the group follows the first dot).
    /// </summary>
    public static GroupResource Parse(string text)
    {
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? new GroupResource("", text) : new GroupResource(text[(dot + 1)..], text[..dot]);
    }

    /// <inheritdoc />
    public override string ToString() => Group.Length == 0 ? (Resource == "*" ? "*." : Resource) : $"{Resource}.{Group}";
}
