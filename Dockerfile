FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY api ./api
COPY domain ./domain
COPY authz ./authz
COPY bpmn ./bpmn
RUN pip install --no-cache-dir .
RUN useradd --system --uid 10001 lendgraph
USER lendgraph
EXPOSE 8000
CMD ["lendgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
