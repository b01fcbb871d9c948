using System.Collections;

namespace Navarch.Api.Cel;

/// <summary>A list from the input as the package sees it (an <see cref="IList"/>); visiting an element costs one unit.</summary>
internal sealed class CelList(object?[] items) : IList<object?>, IList, IReadOnlyList<object?>
{
    public int Count => items.Length;

    public bool IsReadOnly => true;

    public bool IsFixedSize => true;

    public bool IsSynchronized => false;

    public object SyncRoot => items;

    public object? this[int index]
    {
        get
        {
            CelCostMeter.Charge(1);
            return items[index];
        }
        set => throw new NotSupportedException();
    }

    public IEnumerator<object?> GetEnumerator()
    {
        foreach (object? item in items)
        {
            CelCostMeter.Charge(1);
            yield return item;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public int IndexOf(object? item) => ((IList)this).IndexOf(item);

    int IList.IndexOf(object? value)
    {
        for (int i = 0; i < items.Length; i++)
        {
            CelCostMeter.Charge(1);
            if (Equals(items[i], value))
            {
                return i;
            }
        }

        return -1;
    }

    public bool Contains(object? item) => IndexOf(item) >= 0;

    public void CopyTo(object?[] array, int arrayIndex)
    {
        CelCostMeter.Charge(items.Length);
        items.CopyTo(array, arrayIndex);
    }

    void ICollection.CopyTo(Array array, int index)
    {
        CelCostMeter.Charge(items.Length);
        items.CopyTo(array, index);
    }

    public void Add(object? item) => throw new NotSupportedException();

    int IList.Add(object? value) => throw new NotSupportedException();

    public void Clear() => throw new NotSupportedException();

    public void Insert(int index, object? item) => throw new NotSupportedException();

    public bool Remove(object? item) => throw new NotSupportedException();

    void IList.Remove(object? value) => throw new NotSupportedException();

    public void RemoveAt(int index) => throw new NotSupportedException();
}
