namespace Navarch.Api.Validation;

/// <summary>
/// A field error's value already printed as Go prints it (e.g. a map as <c>map[string]string{"app":"web"}</c>), so
/// that the message shows it unquoted, as kube-apiserver's does.
/// </summary>
internal sealed record GoLiteral(string Text)
{
    public override string ToString() => Text;
}
