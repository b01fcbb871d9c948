namespace Navarch.ApiServer.Admission;

/// <summary>
/// An admission plugin. Mutating plugins may change <see cref="AdmissionRequest.Object"/> (after defaulting, before
/// validation); validating plugins only accept or refuse, by throwing a <see cref="Navarch.Api.StatusException"/>.
/// </summary>
internal interface IAdmissionPlugin
{
    /// <summary>The plugin's name, as in kube-apiserver's --enable-admission-plugins.</summary>
    string Name { get; }

    /// <summary>True when the plugin may change the object.</summary>
    bool Mutating { get; }

    /// <summary>Admits the request (possibly changing the object) or throws a Status error.</summary>
    ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken);
}
