"""Deal-structure evaluation: flat fee, pure commission or hybrid, under uncertainty.

* :mod:`~hybridroi.evaluation.forecast`: the funnel of a partner or piece of
  content (views, click-through, conversion, order value, refunds, margin),
  each a point value or a distribution, sampled with a seed.
* :mod:`~hybridroi.evaluation.evaluate`: candidate deals priced by the
  commission engine itself; expected cost, profit and ROI, percentiles, the
  probability of a loss, break-even volume and indifference points.
* :mod:`~hybridroi.evaluation.design`: a commission rate (or fee plus rate)
  matching a flat-fee quote, and a budget split that maximizes expected ROI.
* :mod:`~hybridroi.evaluation.plots`: matplotlib figures (optional ``plot`` extra).
"""
