"""Models of the liaison app, one module per sub-domain."""

from xiake.core.models import Holiday  # noqa: F401  (the platform's one calendar lives in core)
from xiake.liaison.models.compilation import CompilationJob  # noqa: F401
from xiake.liaison.models.consultations import (  # noqa: F401
    Consultation,
    PolicyClause,
    PolicyDocument,
    SlaRule,
)
from xiake.liaison.models.docking import Assignment, ContactLog  # noqa: F401
from xiake.liaison.models.events import Event, Registration  # noqa: F401
from xiake.liaison.models.finance import (  # noqa: F401
    FinancingNeed,
    FollowUp,
    Investment,
    InvestmentShare,
    Investor,
    InvestorInterest,
    RoadshowSession,
)
from xiake.liaison.models.funding import (  # noqa: F401
    EligibilityRule,
    EnterpriseProfile,
    FundingApplication,
    FundingCall,
    FundingProgramme,
)
from xiake.liaison.models.meetings import Decision, JointMeeting, Task  # noqa: F401
