package org.regwatch.es;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.email.UAX29URLEmailTokenizer;
import org.apache.lucene.analysis.pattern.PatternCaptureGroupTokenFilter;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * The four analysis components Elasticsearch's own security index asks for, which live in the
 * analysis-common module that Maven Central's integ-test-zip leaves out: without them the node
 * cannot create its .security index, so it cannot mint API keys. Built from Lucene's own classes
 * (shipped in the distribution's lib/); loaded only by local nodes started with API keys on.
 */
public class RegwatchAnalysisPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "lowercase", (index, env, name, settings) -> filter(name, LowerCaseFilter::new),
            "unique", (index, env, name, settings) -> filter(name, UniqueFilter::new),
            "pattern_capture", (index, env, name, settings) -> {
                List<String> patterns = settings.getAsList("patterns");
                boolean original = settings.getAsBoolean("preserve_original", true);
                Pattern[] compiled = patterns.stream().map(Pattern::compile).toArray(Pattern[]::new);
                return filter(name, in -> new PatternCaptureGroupTokenFilter(in, original, compiled));
            });
    }

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of("uax_url_email",
            (index, env, name, settings) -> TokenizerFactory.newFactory(name, UAX29URLEmailTokenizer::new));
    }

    private static TokenFilterFactory filter(String name, java.util.function.Function<TokenStream, TokenStream> make) {
        return new AbstractTokenFilterFactory(name) {
            @Override
            public TokenStream create(TokenStream in) {
                return make.apply(in);
            }
        };
    }

    /** Drops a term already seen earlier in the stream, like analysis-common's "unique". */
    static final class UniqueFilter extends TokenFilter {
        private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
        private final CharArraySet seen = new CharArraySet(8, false);

        UniqueFilter(TokenStream in) {
            super(in);
        }

        @Override
        public boolean incrementToken() throws IOException {
            while (input.incrementToken()) {
                char[] copy = new char[term.length()];
                System.arraycopy(term.buffer(), 0, copy, 0, copy.length);
                if (seen.add(copy)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void reset() throws IOException {
            super.reset();
            seen.clear();
        }
    }
}
