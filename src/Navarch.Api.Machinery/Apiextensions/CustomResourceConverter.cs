using Navarch.Api.Conversion;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// Conversion <c>None</c> between a served version of a custom resource and its storage version: the object is the
/// same, only its apiVersion is rewritten (as apiextensions-apiserver's nopConverter).
/// </summary>
internal sealed class CustomResourceConverter(string servedApiVersion, string storageApiVersion) : IVersionConverter
{
    public Type StorageType => typeof(CustomResource);

    public object ToStorage(object served) => ((CustomResource)served).WithApiVersion(storageApiVersion);

    public object FromStorage(object stored)
    {
        var resource = (CustomResource)stored;
        resource.ApiVersion = servedApiVersion;
        return resource;
    }
}
