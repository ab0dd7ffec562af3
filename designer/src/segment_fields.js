// The values a segment's rules may allow, field by field. The server keeps the authority
// (domain/profile/segments.py FIELDS, from domain/profile/rfm.py SEGMENTS and domain/enums.py)
// and refuses any other value; no query gives them, so they are repeated here, in its order.
export const CHOICES = {
  rfm_segment: ['CHAMPIONS', 'LOYAL', 'POTENTIAL_LOYALIST', 'NEW', 'PROMISING', 'NEED_ATTENTION',
    'ABOUT_TO_SLEEP', 'CANT_LOSE_THEM', 'AT_RISK', 'HIBERNATING', 'LOST'],
  risk_rating: ['LOW', 'MEDIUM', 'HIGH', 'VERY_HIGH'],
  lifecycle_stage: ['NEW', 'GROWTH', 'STABLE', 'CHURN_WARNING', 'LOST'],
};

// Fields of free names (any tag, any branch code): comma-separated text in the editor.
export const NAMED = ['tag', 'branch'];

export const LABELS = {
  rfm_segment: 'RFM segment', risk_rating: 'Risk rating', lifecycle_stage: 'Lifecycle stage',
  tag: 'Tags', branch: 'Branches',
};
