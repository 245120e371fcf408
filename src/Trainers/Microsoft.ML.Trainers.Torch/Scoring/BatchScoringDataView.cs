using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// The result of <see cref="TorchClassificationTransformer.Transform"/>: the input columns plus Score and
/// PredictedLabel, scored in batches. A second cursor over the same input runs ahead to read a batch of
/// model inputs, so one forward pass serves many rows while the main cursor passes the input through
/// unchanged, whatever its column types.
/// </summary>
internal sealed class BatchScoringDataView : IDataView
{
    private readonly IDataView _input;
    private readonly TorchClassificationTransformer _transformer;

    public BatchScoringDataView(IDataView input, TorchClassificationTransformer transformer)
    {
        _input = input;
        _transformer = transformer;
        Schema = transformer.GetOutputSchema(input.Schema);
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        int inputCount = _input.Schema.Count;
        var needed = columnsNeeded.ToList();
        var inputNeeded = needed.Where(c => c.Index < inputCount).Select(c => _input.Schema[c.Index]);
        bool needScores = needed.Any(c => c.Index >= inputCount);
        // Both cursors read the input in its natural order so that rows line up; rand is ignored.
        DataViewRowCursor main = _input.GetRowCursor(inputNeeded);
        return new Cursor(this, main, needScores);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchScoringDataView _parent;
        private readonly DataViewRowCursor _main;
        private readonly int _inputCount;
        private readonly int _classCount;
        private readonly DataViewRowCursor? _scoring;
        private readonly IBatchFeaturizer? _featurizer;
        private readonly ValueGetter<uint>? _labelGetter;
        private readonly string? _labelColumnName;
        private float[] _probabilities = Array.Empty<float>();
        private int _batchCount;
        private int _indexInBatch = -1;

        public Cursor(BatchScoringDataView parent, DataViewRowCursor main, bool needScores)
        {
            _parent = parent;
            _main = main;
            _inputCount = parent._input.Schema.Count;
            _classCount = parent._transformer.Labels.ClassCount;
            if (needScores)
            {
                TorchClassificationModel model = parent._transformer.Model;
                DataViewSchema inputSchema = parent._input.Schema;
                var scoringColumns = model.InputColumnNames.Select(n => inputSchema[n]).ToList();
                DataViewSchema.Column? label = parent._transformer.LabelColumnForChecks(inputSchema);
                if (label != null)
                {
                    scoringColumns.Add(label.Value);
                }
                _scoring = parent._input.GetRowCursor(scoringColumns);
                _featurizer = model.CreateFeaturizer(_scoring);
                if (label != null)
                {
                    _labelGetter = _scoring.GetGetter<uint>(label.Value);
                    _labelColumnName = label.Value.Name;
                }
            }
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _main.Position;

        public override long Batch => _main.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column)
            => column.Index < _inputCount ? _main.IsColumnActive(_main.Schema[column.Index]) : _scoring != null;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < _inputCount)
            {
                return _main.GetGetter<TValue>(_main.Schema[column.Index]);
            }
            if (_scoring == null)
            {
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
            }
            if (column.Index == _inputCount)
            {
                ValueGetter<VBuffer<float>> score = (ref VBuffer<float> dst) =>
                    ClassificationOutputColumns.FillScore(CurrentProbabilities(), ref dst);
                return (ValueGetter<TValue>)(Delegate)score;
            }
            ValueGetter<uint> predicted = (ref uint dst) => dst = ClassificationOutputColumns.ArgMaxKey(CurrentProbabilities());
            return (ValueGetter<TValue>)(Delegate)predicted;
        }

        public override bool MoveNext()
        {
            if (!_main.MoveNext())
            {
                return false;
            }
            if (_scoring != null && ++_indexInBatch >= _batchCount)
            {
                ScoreNextBatch();
            }
            return true;
        }

        private ReadOnlySpan<float> CurrentProbabilities()
            => _probabilities.AsSpan(_indexInBatch * _classCount, _classCount);

        private void ScoreNextBatch()
        {
            int batchSize = _parent._transformer.ScoringBatchSize;
            while (_featurizer!.Count < batchSize && _scoring!.MoveNext())
            {
                CheckLabel();
                _featurizer.Add(_scoring.Position);
            }
            _batchCount = _featurizer.Count;
            if (_batchCount == 0)
            {
                throw new InvalidOperationException("The input data returned fewer rows on a second pass; scoring needs a stable IDataView.");
            }
            _probabilities = _parent._transformer.Model.PredictProbabilities(_featurizer.TakeBatch());
            _indexInBatch = 0;
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
                throw TorchClassificationTransformer.UnseenLabel(_scoring!.Position, _labelColumnName!);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _main.Dispose();
                _scoring?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
