# One image for web, worker and beat; the command differs (docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY singlewindow ./singlewindow
COPY accounts ./accounts
COPY declarations ./declarations
COPY agencies ./agencies
COPY clearance ./clearance
COPY payments ./payments
RUN pip install .
COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput
RUN useradd --system --uid 10001 portal && chown -R portal /app
USER portal
EXPOSE 8000
CMD ["gunicorn", "singlewindow.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4"]
