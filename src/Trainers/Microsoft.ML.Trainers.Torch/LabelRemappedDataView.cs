using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// A view of data whose label keys are translated into the training key order (see <see cref="LabelKeyAlignment"/>);
/// every other column, and the column order, is the input's.
/// </summary>
internal sealed class LabelRemappedDataView : IDataView
{
    private readonly IDataView _input;
    private readonly int _labelIndex;
    private readonly uint[] _map;

    /// <param name="input">The data to view.</param>
    /// <param name="trainingLabel">The training label column, whose key count and annotations (key values) the view takes.</param>
    /// <param name="labelIndex">The label column's index in <paramref name="input"/>'s schema.</param>
    /// <param name="map">Input key (0 = missing) to training key.</param>
    public LabelRemappedDataView(IDataView input, DataViewSchema.Column trainingLabel, int labelIndex, uint[] map)
    {
        _input = input;
        _labelIndex = labelIndex;
        _map = map;
        var builder = new DataViewSchema.Builder();
        foreach (DataViewSchema.Column column in input.Schema)
        {
            if (column.Index == labelIndex)
            {
                // Always uint keys, whatever the input's raw key type: the getter below produces uint.
                builder.AddColumn(column.Name, new KeyDataViewType(typeof(uint), ((KeyDataViewType)trainingLabel.Type).Count), trainingLabel.Annotations);
            }
            else
            {
                builder.AddColumn(column.Name, column.Type, column.Annotations);
            }
        }
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => _input.CanShuffle;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(this, _input.GetRowCursor(InputColumns(columnsNeeded), rand));

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => _input.GetRowCursorSet(InputColumns(columnsNeeded), n, rand).Select(c => (DataViewRowCursor)new Cursor(this, c)).ToArray();

    private IEnumerable<DataViewSchema.Column> InputColumns(IEnumerable<DataViewSchema.Column> columns)
        => columns.Select(c => _input.Schema[c.Index]).ToList();

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly LabelRemappedDataView _parent;
        private readonly DataViewRowCursor _input;

        public Cursor(LabelRemappedDataView parent, DataViewRowCursor input)
        {
            _parent = parent;
            _input = input;
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _input.IsColumnActive(_input.Schema[column.Index]);

        public override bool MoveNext() => _input.MoveNext();

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index != _parent._labelIndex)
            {
                return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            }
            if (typeof(TValue) != typeof(uint))
            {
                throw new InvalidOperationException($"Label column '{column.Name}' holds uint keys; a getter of {typeof(TValue).Name} was requested.");
            }
            ValueGetter<ulong> read = InputKeyGetter(_input.Schema[column.Index]);
            uint[] map = _parent._map;
            ValueGetter<uint> getter = (ref uint dst) =>
            {
                ulong key = 0;
                read(ref key);
                // A key beyond the declared count is not a class of either mapping: missing, as ML.NET treats it.
                dst = key < (ulong)map.Length ? map[key] : 0;
            };
            return (ValueGetter<TValue>)(Delegate)getter;
        }

        private ValueGetter<ulong> InputKeyGetter(DataViewSchema.Column column)
        {
            Type raw = column.Type.RawType;
            if (raw == typeof(uint))
            {
                ValueGetter<uint> g = _input.GetGetter<uint>(column);
                return (ref ulong dst) => { uint v = 0; g(ref v); dst = v; };
            }
            if (raw == typeof(ulong))
            {
                return _input.GetGetter<ulong>(column);
            }
            if (raw == typeof(ushort))
            {
                ValueGetter<ushort> g = _input.GetGetter<ushort>(column);
                return (ref ulong dst) => { ushort v = 0; g(ref v); dst = v; };
            }
            ValueGetter<byte> b = _input.GetGetter<byte>(column);
            return (ref ulong dst) => { byte v = 0; b(ref v); dst = v; };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _input.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
