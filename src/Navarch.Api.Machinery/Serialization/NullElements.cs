using System.Collections;
using System.Collections.Concurrent;
using System.Text.Json.Serialization.Metadata;
using k8s.Models;

namespace Navarch.Api.Serialization;

/// <summary>
/// Go's decoding of a null inside a list or a map: the element's zero value (<c>containers: [null]</c> is one empty
/// container, which validation then reports as <c>spec.containers[0].name: Required value</c>). System.Text.Json keeps
/// the null, which code reading the model never expects. A type-info modifier, so only deserialization pays, and
/// paths in error messages stay what the serializer reports.
/// </summary>
internal static class NullElements
{
    private static readonly ConcurrentDictionary<Type, Func<object>?> ZeroValues = new();

    /// <summary>Replaces, after a list or map property is read, each null element by its zero value.</summary>
    public static void Modify(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (JsonPropertyInfo property in typeInfo.Properties)
        {
            if (property.Set is not { } set || ElementType(property.PropertyType) is not { } element || ZeroValue(element) is not { } zero)
            {
                continue;
            }

            property.Set = (target, value) =>
            {
                Fill(value, zero);
                set(target, value);
            };
        }
    }

    private static void Fill(object? value, Func<object> zero)
    {
        switch (value)
        {
            case IList list:
                for (int i = 0; i < list.Count; i++)
                {
                    list[i] ??= zero();
                }

                break;
            case IDictionary map:
                foreach (object key in map.Keys.Cast<object>().Where(k => map[k] is null).ToList())
                {
                    map[key] = zero();
                }

                break;
        }
    }

    /// <summary>The element type of an <c>IList&lt;T&gt;</c> / <c>List&lt;T&gt;</c>, or the value type of an <c>IDictionary&lt;string, T&gt;</c>.</summary>
    private static Type? ElementType(Type type)
    {
        if (!type.IsGenericType)
        {
            return null;
        }

        Type definition = type.GetGenericTypeDefinition();
        Type[] arguments = type.GetGenericArguments();
        if (definition == typeof(IList<>) || definition == typeof(List<>))
        {
            return arguments[0];
        }

        return (definition == typeof(IDictionary<,>) || definition == typeof(Dictionary<,>)) && arguments[0] == typeof(string) ? arguments[1] : null;
    }

    /// <summary>"" for strings, a new model object for the client's model types; nothing for the rest.</summary>
    private static Func<object>? ZeroValue(Type element) => ZeroValues.GetOrAdd(element, static t =>
    {
        if (t == typeof(string))
        {
            return static () => "";
        }

        bool model = t.Namespace == typeof(V1Pod).Namespace && t.IsClass && !t.IsAbstract && t != typeof(IntOrString) && t != typeof(ResourceQuantity)
            && t.GetConstructor(Type.EmptyTypes) is not null;
        return model ? () => Activator.CreateInstance(t)! : null;
    });
}
