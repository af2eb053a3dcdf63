"""REST API base: viewsets and serializers derived from resources, under /api/v1/."""
