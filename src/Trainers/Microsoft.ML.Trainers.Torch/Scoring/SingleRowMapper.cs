using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Scores one row at a time for <c>PredictionEngine</c> and transformer chains that map rows.
/// </summary>
internal sealed class SingleRowMapper : IRowToRowMapper
{
    private readonly TorchClassificationTransformer _transformer;

    public SingleRowMapper(TorchClassificationTransformer transformer, DataViewSchema inputSchema)
    {
        _transformer = transformer;
        InputSchema = inputSchema;
        OutputSchema = transformer.GetOutputSchema(inputSchema);
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var needed = dependingColumns.ToList();
        var result = needed.Where(c => c.Index < InputSchema.Count).Select(c => InputSchema[c.Index]).ToList();
        if (needed.Any(c => c.Index >= InputSchema.Count))
        {
            result.AddRange(_transformer.Model.InputColumnNames.Select(n => InputSchema[n]));
            // Scoring checks the label, as Transform does, so it must be read too.
            if (_transformer.LabelColumnForChecks(InputSchema) is DataViewSchema.Column label)
            {
                result.Add(label);
            }
        }
        return result.Distinct();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        => new Row(this, input, activeColumns.Any(c => c.Index >= InputSchema.Count));

    private sealed class Row : DataViewRow
    {
        private readonly SingleRowMapper _parent;
        private readonly DataViewRow _input;
        private readonly IBatchFeaturizer? _featurizer;
        private readonly ValueGetter<uint>? _labelGetter;
        private readonly string? _labelColumnName;
        private float[] _probabilities = Array.Empty<float>();
        private long _scoredPosition = -1;

        public Row(SingleRowMapper parent, DataViewRow input, bool scoresActive)
        {
            _parent = parent;
            _input = input;
            _featurizer = scoresActive ? parent._transformer.Model.CreateFeaturizer(input) : null;
            if (scoresActive && parent._transformer.LabelColumnForChecks(parent.InputSchema) is DataViewSchema.Column label && input.IsColumnActive(label))
            {
                _labelGetter = input.GetGetter<uint>(label);
                _labelColumnName = label.Name;
            }
        }

        public override DataViewSchema Schema => _parent.OutputSchema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column)
            => column.Index < _parent.InputSchema.Count ? _input.IsColumnActive(_input.Schema[column.Index]) : _featurizer != null;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int inputCount = _parent.InputSchema.Count;
            if (column.Index < inputCount)
            {
                return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            }
            if (_featurizer == null)
            {
                throw new InvalidOperationException($"Column '{column.Name}' is not active.");
            }
            if (column.Index == inputCount)
            {
                ValueGetter<VBuffer<float>> score = (ref VBuffer<float> dst) => ClassificationOutputColumns.FillScore(Probabilities(), ref dst);
                return (ValueGetter<TValue>)(Delegate)score;
            }
            ValueGetter<uint> predicted = (ref uint dst) => dst = ClassificationOutputColumns.ArgMaxKey(Probabilities());
            return (ValueGetter<TValue>)(Delegate)predicted;
        }

        private ReadOnlySpan<float> Probabilities()
        {
            // PredictionEngine reuses one row object; the position tells when the input changed.
            if (_scoredPosition != _input.Position || _input.Position < 0)
            {
                CheckLabel();
                _featurizer!.Add(_input.Position);
                _probabilities = _parent._transformer.Model.PredictProbabilities(_featurizer.TakeBatch());
                _scoredPosition = _input.Position;
            }
            return _probabilities;
        }

        private void CheckLabel()
        {
            if (_labelGetter == null)
            {
                return;
            }
            uint key = 0;
            _labelGetter(ref key);
            if (key == 0)
            {
                throw TorchClassificationTransformer.UnseenLabel(_input.Position, _labelColumnName!);
            }
        }
    }
}
